-- One row per Zoom meeting instance × participant, rejoins merged (the spans of
-- int_zoom_participation_spans added up): `participant_seconds` is the time the participant was
-- really in the call, an overlap of two devices counted once.
with

spans as (

    select * from {{ ref('int_zoom_participation_spans') }}

),

merged as (

    select
        meeting_uuid,
        meeting_id,
        participant_key,
        max(person_email) as person_email,
        max(zoom_user_id) as zoom_user_id,
        max(participant_name) as participant_name,
        cast(sum(join_count) as integer) as join_count,
        cast(count(*) as integer) as span_count,
        min(joined_at) as first_joined_at,
        max(left_at) as last_left_at,
        sum(span_seconds) as participant_seconds
    from spans
    group by meeting_uuid, meeting_id, participant_key

)

select * from merged
