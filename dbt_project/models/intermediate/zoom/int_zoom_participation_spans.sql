-- One row per continuous stretch a participant spent in a Zoom meeting instance: Zoom reports each
-- join as its own row (a rejoin gets a new per-join `user_id`), and rows of one participant that
-- overlap (two devices) are merged into one span. Rows come from int_zoom_call_attendance (time in the
-- call only: no waiting room, nothing deleted), which also says who the participant is.
with

keyed as (

    select * from {{ ref('int_zoom_call_attendance') }}

),

-- Gaps and islands: a row starts a new island when it joins after every earlier row of the same
-- participant has left.
ordered as (

    select
        *,
        max(left_at) over (
            partition by meeting_uuid, participant_key
            order by joined_at, participant_join_id
            rows between unbounded preceding and 1 preceding
        ) as previous_left_at
    from keyed

),

islands as (

    select
        *,
        sum(case when previous_left_at is null or joined_at > previous_left_at then 1 else 0 end) over (
            partition by meeting_uuid, participant_key
            order by joined_at, participant_join_id
            rows between unbounded preceding and current row
        ) as island_number
    from ordered

),

island_spans as (

    select
        meeting_uuid,
        meeting_id,
        participant_key,
        island_number,
        max(person_email) as person_email,
        max(zoom_user_id) as zoom_user_id,
        max(participant_name) as participant_name,
        bool_and(is_external) as is_external,
        count(*) as row_count,
        min(joined_at) as joined_at,
        max(left_at) as left_at
    from islands
    group by meeting_uuid, meeting_id, participant_key, island_number

),

final as (

    select
        meeting_uuid,
        meeting_id,
        participant_key,
        cast(island_number as integer) as span_number,
        person_email,
        zoom_user_id,
        participant_name,
        is_external,
        cast(row_count as integer) as join_count,
        joined_at,
        left_at,
        case
            when left_at > joined_at then {{ seconds_between('joined_at', 'left_at') }}
            else 0
        end as span_seconds
    from island_spans

)

select * from final
