-- One row per continuous stretch a participant spent in a Zoom meeting instance: Zoom reports each
-- join as its own row (a rejoin gets a new per-join `user_id`), and rows of one participant that
-- overlap (two devices) are merged into one span. A participant is the person (lower-cased email,
-- else their Zoom user's email), else the Zoom user id, else, for guests, the display name.
with

participants as (

    select * from {{ ref('stg_zoom__participants') }}

),

zoom_accounts as (

    select
        tool_user_id as zoom_user_id,
        person_email
    from {{ ref('int_person_tool_accounts') }}
    where tool = 'zoom'

),

keyed as (

    select
        participants.participant_join_id,
        participants.meeting_uuid,
        participants.meeting_id,
        participants.zoom_user_id,
        participants.participant_name,
        coalesce(participants.participant_email, zoom_accounts.person_email) as person_email,
        coalesce(
            participants.participant_email,
            zoom_accounts.person_email,
            'zoom:' || participants.zoom_user_id,
            'guest:' || coalesce(participants.participant_name, participants.participant_user_id)
        ) as participant_key,
        participants.joined_at,
        coalesce(
            participants.left_at,
            {{ add_seconds('participants.joined_at', 'coalesce(participants.duration_seconds, 0)') }}
        ) as left_at
    from participants
    left join zoom_accounts
        on participants.zoom_user_id = zoom_accounts.zoom_user_id

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
