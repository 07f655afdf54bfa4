-- One row per participant row that is time in the call: Zoom's waiting-room rows (`status`
-- 'in_waiting_room') are neither call time nor a join and are left out here, as are rows deleted at
-- the source. Every Zoom reader (participation spans, workload, the timeline) starts from this model.
-- A participant is keyed by lower-cased email (the row's `user_email`, else the email of their Zoom
-- account), else `zoom:<Zoom user id>`, else `guest:<name>` (dial-ins and guests). The participant is
-- a person only when that email belongs to someone in the organisation's directories
-- (int_person_tool_accounts.is_person); external guests, masked or unknown emails and dial-ins are
-- `is_external` with no `person_email`: they stay in the timeline and never reach per-person metrics.
-- A row without `leave_time` takes join_time + duration (stg_zoom__participants); a row with neither
-- leaves at its join (0 s).
with

participants as (

    select * from {{ ref('stg_zoom__participants') }}
    where is_in_call and deleted_at is null

),

zoom_accounts as (

    select
        tool_user_id as zoom_user_id,
        person_email
    from {{ ref('int_person_tool_accounts') }}
    where tool = 'zoom'

),

people as (

    select distinct person_email
    from {{ ref('int_person_tool_accounts') }}
    where is_person

),

keyed as (

    select
        participants.participant_join_id,
        participants.meeting_uuid,
        participants.meeting_id,
        participants.zoom_user_id,
        participants.participant_name,
        participants.is_internal_user,
        coalesce(participants.participant_email, zoom_accounts.person_email) as participant_email,
        coalesce(
            participants.participant_email,
            zoom_accounts.person_email,
            'zoom:' || participants.zoom_user_id,
            'guest:' || coalesce(participants.participant_name, participants.participant_user_id)
        ) as participant_key,
        participants.joined_at,
        coalesce(participants.left_at, participants.joined_at) as left_at,
        participants.left_at is null as is_leave_unknown,
        participants.left_at_source
    from participants
    left join zoom_accounts
        on participants.zoom_user_id = zoom_accounts.zoom_user_id

),

final as (

    select
        keyed.participant_join_id,
        keyed.meeting_uuid,
        keyed.meeting_id,
        keyed.zoom_user_id,
        keyed.participant_name,
        keyed.participant_key,
        people.person_email,
        people.person_email is null as is_external,
        keyed.is_internal_user,
        keyed.joined_at,
        keyed.left_at,
        keyed.is_leave_unknown,
        keyed.left_at_source
    from keyed
    left join people
        on keyed.participant_email = people.person_email

)

select * from final
