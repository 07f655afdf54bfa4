"""One small hand-made organisation holding the five field cases, in the shapes the four APIs send.

Each case from the field (docs/sync.md and docs/metrics.md describe the rules they test) is re-created
here with its own synthetic ids and emails, inside one `Organisation` so one sync and one dbt build serve
them all:

- SUBTYPES: a person's messages with content subtypes (file_share, me_message) count; a channel join and
  a bot post do not.
- DELETED: a message and a thread reply deleted in Slack between two syncs stop counting.
- WAITING: a Zoom participant's waiting-room row is neither call time nor a join.
- STUCK: a Zoom participants listing whose next_page_token never moves (the sandbox's `stuck` fault on a
  meeting with more than one page of participants) stops with one error; everything else completes.
- PAGES: PagerDuty notify entries carry the method in `channel.notification.type` (`channel.type` 'auto').

Times are relative to `base`, a Monday at 00:00 UTC a few weeks before the test runs (inside every
connector's lookback), so the expected ISO week is `base`'s date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipelines.sandbox.model import ChannelLog, Credentials, Organisation, Person, ZoomInstance

Record = dict[str, Any]

TEAM_ID = "T0LAKECASE"
STUCK_PARTICIPANT_ROWS = 301  # one more than a page of 300: the listing needs a second page


@dataclass(frozen=True)
class CaseTimes:
    """The Monday the cases happen in (UTC) and helpers to place events in that week."""

    base: datetime

    @property
    def week(self) -> date:
        return self.base.date()

    def at(self, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
        return self.base + timedelta(days=day, hours=hour, minutes=minute, seconds=second)


def case_times(today: datetime | None = None) -> CaseTimes:
    """A Monday 00:00 UTC between 14 and 20 days ago: recent enough for every lookback, and a week that
    is over (nothing in it is 'now')."""
    today = today or datetime.now(UTC)
    day = (today - timedelta(days=14)).date()
    monday = day - timedelta(days=day.weekday())
    return CaseTimes(datetime(monday.year, monday.month, monday.day, tzinfo=UTC))


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slack_ts(moment: datetime, micro: int) -> str:
    """A Slack ts for `moment` with a distinguishing microsecond part."""
    return f"{int(moment.timestamp())}.{micro:06d}"


# ------------------------------------------------------------------------------------------ people
@dataclass(frozen=True)
class CasePerson:
    key: str
    first: str
    last: str
    email: str
    slack_id: str
    io_id: str


PEOPLE = {
    p.key: p
    for p in (
        CasePerson("ana", "Ana", "Subtype", "ana.subtype@lake-case.example", "U0LCANA01", "01LCUSRANA"),
        CasePerson("ben", "Ben", "Joiner", "ben.joiner@lake-case.example", "U0LCBEN01", "01LCUSRBEN"),
        CasePerson("gil", "Gil", "Poster", "gil.poster@lake-case.example", "U0LCGIL01", "01LCUSRGIL"),
        CasePerson("gus", "Gus", "Replier", "gus.replier@lake-case.example", "U0LCGUS01", "01LCUSRGUS"),
        CasePerson("wyn", "Wyn", "Waiter", "wyn.waiter@lake-case.example", "U0LCWYN01", "01LCUSRWYN"),
        CasePerson("xan", "Xan", "Caller", "xan.caller@lake-case.example", "U0LCXAN01", "01LCUSRXAN"),
        CasePerson("pia", "Pia", "Paged", "pia.paged@lake-case.example", "U0LCPIA01", "01LCUSRPIA"),
    )
}

# --------------------------------------------------------------------------------- incident.io config
STATUS_LIVE = {"id": "01LCSTLIVE", "name": "Investigating", "category": "live", "rank": 1}
SEVERITY = {"id": "01LCSEVMAJ", "name": "Major", "description": "Big.", "rank": 2}
INCIDENT_TYPE = {"id": "01LCTYPDEF", "name": "Default", "is_default": True}
LEAD_ROLE = {"id": "01LCROLEAD", "name": "Incident Lead", "role_type": "lead", "shortform": "lead"}
TIMESTAMPS = [
    {"id": "01LCTSREP", "name": "Reported at", "rank": 0},
    {"id": "01LCTSRES", "name": "Resolved at", "rank": 5},
    {"id": "01LCTSCLO", "name": "Closed at", "rank": 11},
]

# ------------------------------------------------------------------------------------------- cases
SUBTYPES_INCIDENT, SUBTYPES_CHANNEL = "01LCINCSUBTYPES", "C0LCSUBTYPES"
DELETED_INCIDENT, DELETED_CHANNEL = "01LCINCDELETED", "C0LCDELETED"
WAITING_INCIDENT, WAITING_MEETING = "01LCINCWAITING", 81000000001
STUCK_INCIDENT, STUCK_MEETING = "01LCINCSTUCK", 81000000002
PAGES_INCIDENT = "Q0LCPAGES01"
PAGED_USER = "P0LCPIA01"
BOT_ID = "B0LCBOT001"


def _io_user(person: CasePerson) -> Record:
    return {
        "id": person.io_id,
        "name": f"{person.first} {person.last}",
        "email": person.email,
        "role": "responder",
        "slack_user_id": person.slack_id,
        "is_active": True,
    }


def _slack_user(person: CasePerson) -> Record:
    return {
        "id": person.slack_id,
        "team_id": TEAM_ID,
        "name": person.first.lower(),
        "real_name": f"{person.first} {person.last}",
        "deleted": False,
        "is_bot": False,
        "is_app_user": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "tz": "Europe/London",
        "profile": {
            "real_name": f"{person.first} {person.last}",
            "display_name": person.first.lower(),
            "email": person.email,
        },
        "updated": 1700000000,
    }


def _incident(
    incident_id: str,
    number: int,
    created: datetime,
    *,
    channel: str = "",
    call_url: str | None = None,
) -> Record:
    return {
        "id": incident_id,
        "reference": f"INC-{number}",
        "name": f"case incident {number}",
        "summary": "A case from the field.",
        "mode": "standard",
        "visibility": "public",
        "permalink": f"https://app.incident.io/lake-case/incidents/{number}",
        "call_url": call_url,
        "slack_channel_id": channel,
        "slack_channel_name": f"inc-{number}" if channel else "",
        "slack_team_id": TEAM_ID,
        "has_debrief": False,
        "created_at": iso(created),
        "updated_at": iso(created),
        "creator": {"user": _io_user(PEOPLE["ana"])},
        "incident_status": STATUS_LIVE,
        "severity": SEVERITY,
        "incident_type": INCIDENT_TYPE,
        "incident_role_assignments": [{"role": LEAD_ROLE}],
        "custom_field_entries": [],
        "incident_timestamp_values": [
            {
                "incident_timestamp": stamp,
                "value": {"value": iso(created)} if stamp["name"] == "Reported at" else None,
            }
            for stamp in TIMESTAMPS
        ],
        "duration_metrics": [],
    }


def _channel(channel_id: str, name: str, created: datetime) -> Record:
    return {
        "id": channel_id,
        "name": name,
        "created": int(created.timestamp()),
        "creator": PEOPLE["ana"].slack_id,
        "is_channel": True,
        "is_private": False,
        "is_archived": False,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    }


def _message(ts: str, user: str, text: str, **extra: Any) -> Record:
    return {"type": "message", "ts": ts, "user": user, "text": text, "team": TEAM_ID, **extra}


def _participant(
    zoom_id: str, user_id: str, name: str, email: str, join: datetime, leave: datetime, status: str
) -> Record:
    return {
        "id": zoom_id,
        "name": name,
        "user_id": user_id,
        "user_email": email,
        "join_time": iso(join),
        "leave_time": iso(leave),
        "duration": int((leave - join).total_seconds()),
        "status": status,
        "internal_user": bool(email),
    }


@dataclass
class DeletionPlan:
    """What the DELETED case removes between the two syncs."""

    parent: Record
    reply_kept: Record
    reply_deleted: Record
    message_deleted: Record


def build_case_organisation(times: CaseTimes) -> tuple[Organisation, DeletionPlan]:
    """The organisation of the five cases (see the module docstring) and what to delete between syncs."""
    people = [
        Person(
            index=i,
            first_name=p.first,
            last_name=p.last,
            email=p.email,
            timezone="UTC",
            title="Engineer",
            incidentio_id=p.io_id,
            slack_id=p.slack_id,
            zoom_id=None,
            pagerduty_id=PAGED_USER if p.key == "pia" else None,
            pagerduty_email=p.email,
            zoom_email=p.email,
        )
        for i, p in enumerate(PEOPLE.values())
    ]
    org = Organisation(
        size="cases",
        seed=0,
        anchor=times.base + timedelta(days=7),
        credentials=Credentials.random(),
        people=people,
        company="lakecase",
        slack_team_id=TEAM_ID,
    )
    org.data_time = times.at(7, 0).timestamp()
    org.io_users = [_io_user(p) for p in PEOPLE.values()]
    org.io_statuses = [STATUS_LIVE]
    org.io_severities = [SEVERITY]
    org.io_types = [INCIDENT_TYPE]
    org.io_roles = [LEAD_ROLE]
    org.io_timestamps = TIMESTAMPS
    org.slack_users = [_slack_user(p) for p in PEOPLE.values()] + [
        {
            "id": "U0LCBOT001",
            "team_id": TEAM_ID,
            "name": "incident",
            "real_name": "incident.io",
            "deleted": False,
            "is_bot": True,
            "profile": {"real_name": "incident.io", "bot_id": BOT_ID},
        }
    ]

    incidents = [
        _incident(SUBTYPES_INCIDENT, 9101, times.at(1, 9), channel=SUBTYPES_CHANNEL),
        _incident(DELETED_INCIDENT, 9102, times.at(2, 9), channel=DELETED_CHANNEL),
        _incident(
            WAITING_INCIDENT,
            9103,
            times.at(3, 9, 55),
            call_url=f"https://lakecase.zoom.us/j/{WAITING_MEETING}",
        ),
        _incident(
            STUCK_INCIDENT, 9104, times.at(3, 9, 55), call_url=f"https://lakecase.zoom.us/j/{STUCK_MEETING}"
        ),
    ]
    org.io_incidents = {r["id"]: r for r in incidents}
    org.io_updates = {r["id"]: [] for r in incidents}
    org.io_attachments = {r["id"]: [] for r in incidents}

    # SUBTYPES: Ana's plain message, upload and /me message count; Ben's join and the bot's post do not.
    ana, ben = PEOPLE["ana"].slack_id, PEOPLE["ben"].slack_id
    t = times.at(1, 10)
    subtypes = ChannelLog()
    for message in (
        _message(slack_ts(t, 100), ana, "checkout is throwing 500s"),
        _message(
            slack_ts(t + timedelta(minutes=5), 200),
            ana,
            "the spike starts here",
            subtype="file_share",
            upload=True,
            files=[{"id": "F0LCFILE01", "name": "spike.png", "mimetype": "image/png"}],
        ),
        _message(slack_ts(t + timedelta(minutes=7), 300), ana, "rolls the deploy back", subtype="me_message"),
        _message(
            slack_ts(t + timedelta(minutes=8), 400),
            ben,
            f"<@{ben}> has joined the channel",
            subtype="channel_join",
        ),
        {
            "type": "message",
            "subtype": "bot_message",
            "ts": slack_ts(t + timedelta(minutes=9), 500),
            "bot_id": BOT_ID,
            "text": "Incident INC-9101 declared",
        },
    ):
        subtypes.add_top(message)

    # DELETED: Gil's thread parent and two more messages; Gus replies twice. m3 and r2 go between syncs.
    gil, gus = PEOPLE["gil"].slack_id, PEOPLE["gus"].slack_id
    t = times.at(2, 10)
    parent_ts = slack_ts(t, 100)
    reply_1 = _message(
        slack_ts(t + timedelta(seconds=100), 260), gus, "r1", thread_ts=parent_ts, parent_user_id=gil
    )
    reply_2 = _message(
        slack_ts(t + timedelta(seconds=120), 300), gus, "r2", thread_ts=parent_ts, parent_user_id=gil
    )
    parent = _message(parent_ts, gil, "m1", thread_ts=parent_ts, reply_count=2, latest_reply=reply_2["ts"])
    wrong_channel = _message(slack_ts(t + timedelta(seconds=90), 250), gil, "m3 (wrong channel, sorry)")
    deleted = ChannelLog()
    deleted.add_top(parent)
    deleted.add_top(_message(slack_ts(t + timedelta(seconds=60), 200), gil, "m2"))
    deleted.add_top(wrong_channel)
    deleted.add_reply(parent, reply_1)
    deleted.add_reply(parent, reply_2)

    org.slack_logs = {SUBTYPES_CHANNEL: subtypes, DELETED_CHANNEL: deleted}
    org.slack_channels = {
        SUBTYPES_CHANNEL: _channel(SUBTYPES_CHANNEL, "inc-9101", times.at(1, 9)),
        DELETED_CHANNEL: _channel(DELETED_CHANNEL, "inc-9102", times.at(2, 9)),
    }
    org.slack_members = {
        SUBTYPES_CHANNEL: [ana, ben],
        DELETED_CHANNEL: [gil, gus],
    }

    # WAITING: Wyn waits 10 minutes in the waiting room, then is in the call 20 minutes; Xan 30 minutes.
    wyn, xan = PEOPLE["wyn"], PEOPLE["xan"]
    start = times.at(3, 10)
    waiting = ZoomInstance(
        uuid="lcWaitingRoomCase0001==",
        meeting_id=WAITING_MEETING,
        start=start.timestamp(),
        end=(start + timedelta(minutes=30)).timestamp(),
        topic="INC-9103 call",
        host_id="zLCHOST01",
        host_email=xan.email,
        host_name=f"{xan.first} {xan.last}",
        participants=[
            _participant(
                "zLCWYN01",
                "16001",
                "Wyn Waiter",
                wyn.email,
                start,
                start + timedelta(minutes=10),
                "in_waiting_room",
            ),
            _participant(
                "zLCWYN01",
                "16002",
                "Wyn Waiter",
                wyn.email,
                start + timedelta(minutes=10),
                start + timedelta(minutes=30),
                "in_meeting",
            ),
            _participant(
                "zLCXAN01",
                "16003",
                "Xan Caller",
                xan.email,
                start,
                start + timedelta(minutes=30),
                "in_meeting",
            ),
        ],
        incident_id=WAITING_INCIDENT,
    )
    # STUCK: a call with more than one page of participants (dial-in guests), whose cursor never moves.
    stuck = ZoomInstance(
        uuid="lcStuckTokenCase0002==",
        meeting_id=STUCK_MEETING,
        start=start.timestamp(),
        end=(start + timedelta(minutes=30)).timestamp(),
        topic="INC-9104 call",
        host_id="zLCHOST01",
        host_email=xan.email,
        host_name=f"{xan.first} {xan.last}",
        participants=[
            _participant(
                "",
                str(20000 + n),
                f"Dial-in {n:03d}",
                "",
                start + timedelta(seconds=n),
                start + timedelta(minutes=20),
                "in_meeting",
            )
            for n in range(STUCK_PARTICIPANT_ROWS)
        ],
        incident_id=STUCK_INCIDENT,
    )
    org.zoom_meetings = {WAITING_MEETING: [waiting], STUCK_MEETING: [stuck]}
    org.zoom_instances = {waiting.uuid: waiting, stuck.uuid: stuck}
    org.zoom_users = [
        {
            "id": "zLCHOST01",
            "first_name": xan.first,
            "last_name": xan.last,
            "display_name": f"{xan.first} {xan.last}",
            "email": xan.email,
            "type": 2,
            "status": "active",
            "timezone": "UTC",
            "user_created_at": iso(times.base - timedelta(days=300)),
        }
    ]

    # PAGES: triggered 02:00 UTC; Pia is phoned, emailed a second later, then texted half an hour later.
    created = times.at(1, 2)
    service = {"id": "P0LCSVC01", "type": "service_reference", "summary": "checkout-api"}
    incident_ref = {"id": PAGES_INCIDENT, "type": "incident_reference"}
    user_ref = {"id": PAGED_USER, "type": "user_reference", "summary": "Pia Paged"}
    org.pd_services = [
        {
            "id": service["id"],
            "type": "service",
            "name": "checkout-api",
            "summary": "checkout-api",
            "status": "active",
            "escalation_policy": {
                "id": "P0LCEP01",
                "type": "escalation_policy_reference",
                "summary": "Checkout",
            },
        }
    ]
    org.pd_users = [
        {
            "id": PAGED_USER,
            "type": "user",
            "name": "Pia Paged",
            "summary": "Pia Paged",
            "email": PEOPLE["pia"].email,
            "time_zone": "UTC",
            "role": "user",
        }
    ]
    org.pd_incidents = {
        PAGES_INCIDENT: {
            "id": PAGES_INCIDENT,
            "type": "incident",
            "summary": "[#7001] checkout-api down",
            "incident_number": 7001,
            "title": "checkout-api down",
            "created_at": iso(created),
            "updated_at": iso(created + timedelta(minutes=30, seconds=4)),
            "status": "triggered",
            "incident_key": "lake-case-7001",
            "service": service,
            "urgency": "high",
            "priority": None,
            "resolved_at": None,
            "last_status_change_at": iso(created),
            "assignments": [],
            "acknowledgements": [],
            "teams": [],
        }
    }

    def notify(entry_id: str, offset: timedelta, method: str, address: str) -> Record:
        return {
            "id": entry_id,
            "type": "notify_log_entry",
            "summary": f"Notified Pia Paged by {method}.",
            "created_at": iso(created + offset),
            "agent": service,
            "channel": {
                "type": "auto",
                "notification": {"type": method, "status": "success", "address": address},
            },
            "user": user_ref,
            "incident": incident_ref,
            "service": service,
        }

    org.pd_log_entries = {
        PAGES_INCIDENT: [
            {
                "id": "R0LCTRIG01",
                "type": "trigger_log_entry",
                "summary": "Triggered through the API.",
                "created_at": iso(created),
                "agent": service,
                "channel": {"type": "api"},
                "incident": incident_ref,
                "service": service,
            },
            notify("R0LCNOTE01", timedelta(seconds=4), "phone_notification", "+15550100"),
            notify("R0LCNOTE02", timedelta(seconds=5), "email_notification", PEOPLE["pia"].email),
            notify("R0LCNOTE03", timedelta(minutes=30, seconds=4), "sms_notification", "+15550100"),
        ]
    }
    org.version += 1
    return org, DeletionPlan(parent, reply_1, reply_2, wrong_channel)


def delete_between_syncs(org: Organisation, plan: DeletionPlan) -> None:
    """What Slack shows after m3 and r2 are deleted: history no longer lists m3; the parent says one
    reply, the latest being r1; the thread holds r1 only. Records are replaced, never edited in place
    (the server shares them)."""
    with org.lock:
        log = org.slack_logs[DELETED_CHANNEL]
        log.remove_top(plan.message_deleted)
        log.remove_reply(plan.parent["ts"], plan.reply_deleted)
        new_parent = {**plan.parent, "reply_count": 1, "latest_reply": plan.reply_kept["ts"]}
        log.replace_top(plan.parent, new_parent)
        org.version += 1
