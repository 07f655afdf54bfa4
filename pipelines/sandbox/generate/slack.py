"""Slack: the workspace members and bots, incident channels and two ordinary ones, and each channel's
conversation (joins, bot posts, people's messages, threads)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from pipelines.sandbox import texts
from pipelines.sandbox.generate.common import (
    DAY,
    MIN,
    Build,
    ascii_fold,
    set_thread_fields,
    tz_offset,
)
from pipelines.sandbox.ids import (
    slack_ts,
    slack_ts_us,
    upper_id,
    uuid4_like,
)
from pipelines.sandbox.model import (
    ChannelLog,
    IncidentPlan,
    Outsider,
    Record,
    SlackBot,
)


def add_users(b: Build) -> None:
    """Workspace members (the people), the two bots, the deleted former employee, Slackbot and the
    outsiders, as users.list shows them."""
    rng = b.rng("slack-users")
    org = b.org
    org.slack_team_id = upper_id(rng, "T0", 11)
    team = org.slack_team_id
    anchor_dt = org.anchor
    users: list[Record] = []
    for p in org.people:
        off = tz_offset(p.timezone, anchor_dt)
        users.append(
            {
                "id": p.slack_id,
                "team_id": team,
                "name": p.email.split("@")[0],
                "deleted": False,
                "color": f"{rng.getrandbits(24):06x}",
                "real_name": p.name,
                "tz": p.timezone,
                "tz_label": anchor_dt.astimezone(ZoneInfo(p.timezone)).tzname() or p.timezone,
                "tz_offset": off,
                "profile": {
                    "title": p.title,
                    "phone": "",
                    "skype": "",
                    "real_name": p.name,
                    "real_name_normalized": ascii_fold(p.name),
                    "display_name": p.first_name.lower(),
                    "display_name_normalized": ascii_fold(p.first_name).lower(),
                    "fields": None,
                    "status_text": "",
                    "status_emoji": "",
                    "status_expiration": 0,
                    "avatar_hash": f"g{rng.getrandbits(44):011x}",
                    "email": p.email,
                    "first_name": p.first_name,
                    "last_name": p.last_name,
                    "team": team,
                },
                "is_admin": p.index == 0,
                "is_owner": p.index == 0,
                "is_primary_owner": p.index == 0,
                "is_restricted": False,
                "is_ultra_restricted": False,
                "is_bot": False,
                "is_app_user": False,
                "updated": int(b.start),
                "is_email_confirmed": True,
                "has_2fa": True,
                "who_can_share_contact_card": "EVERYONE",
            }
        )
    bots: dict[str, SlackBot] = {}
    for key, name, real in (
        ("incident", "incident", "incident.io"),
        ("pagerduty", "pagerduty", "PagerDuty"),
    ):
        uid, bid, aid = upper_id(rng, "U0", 11), upper_id(rng, "B0", 11), upper_id(rng, "A0", 11)
        bots[key] = SlackBot(
            user=uid,
            bot_id=bid,
            app_id=aid,
            name=real,
            profile={
                "id": bid,
                "app_id": aid,
                "name": real,
                "deleted": False,
                "team_id": team,
                "updated": int(b.start),
                "icons": {"image_36": f"https://a.slack-edge.com/{key}_36.png"},
            },
        )
        users.append(
            {
                "id": uid,
                "team_id": team,
                "name": name,
                "deleted": False,
                "real_name": real,
                "tz": "America/Los_Angeles",
                "tz_label": "Pacific Standard Time",
                "tz_offset": -28800,
                "profile": {
                    "real_name": real,
                    "display_name": "",
                    "bot_id": bid,
                    "api_app_id": aid,
                    "always_active": True,
                    "avatar_hash": "",
                    "real_name_normalized": real,
                    "display_name_normalized": "",
                    "title": "",
                    "phone": "",
                    "skype": "",
                    "status_text": "",
                    "status_emoji": "",
                    "fields": None,
                    "team": team,
                },
                "is_bot": True,
                "is_app_user": False,
                "updated": int(b.start),
            }
        )
    f = b.state.former
    assert f is not None, "incidentio.add_config creates the former employee first"
    users.append(
        {
            "id": f.slack_id,
            "team_id": team,
            "name": "old.hand",
            "deleted": True,
            "profile": {
                "real_name": f.name,
                "display_name": "old.hand",
                "real_name_normalized": f.name,
                "display_name_normalized": "old.hand",
                "avatar_hash": "",
                "title": "",
                "phone": "",
                "skype": "",
                "status_text": "",
                "status_emoji": "",
                "fields": None,
                "team": team,
            },
            "is_bot": False,
            "is_app_user": False,
            "updated": int(b.start - 100 * DAY),
        }
    )
    users.append(
        {
            "id": "USLACKBOT",
            "team_id": team,
            "name": "slackbot",
            "deleted": False,
            "real_name": "Slackbot",
            "tz": "America/Los_Angeles",
            "tz_label": "Pacific Standard Time",
            "tz_offset": -28800,
            "profile": {
                "real_name": "Slackbot",
                "display_name": "Slackbot",
                "fields": None,
                "team": team,
            },
            "is_bot": False,
            "is_app_user": False,
            "updated": 0,
        }
    )
    users.extend(_outsider_users(b))
    users.sort(key=lambda u: u["id"])
    org.slack_users = users
    b.state.bots = bots


# The share of incident channels holding each shape beyond plain messages (`add_messages`). Content a
# person posts: uploads (`file_share`), `/me` actions (`me_message`). System events, not a person
# speaking: topic, description and name changes, someone leaving, a pin, a reminder, a deleted thread
# parent left as a `tombstone` (its replies stay). And outsiders (Slack Connect users, guests) talking.
CHANNEL_SHAPES = {
    "file_share": 0.3,
    "me_message": 0.12,
    "channel_topic": 0.25,
    "channel_purpose": 0.1,
    "channel_name": 0.05,
    "channel_leave": 0.2,
    "pinned_item": 0.1,
    "reminder_add": 0.05,
    "tombstone": 0.08,
    "outsider": 0.08,
}
# Channels older than this may hold posts by the former employee.
FORMER_AGE_DAYS = 200


def add_channels(b: Build, incs: list[IncidentPlan]) -> None:
    """Each incident's channel and conversation (with the shapes of `CHANNEL_SHAPES`), plus two
    ordinary channels the pipeline must leave alone."""
    rng = b.rng("slack")
    org = b.org
    with_channel = [i for i in incs if i.channel_id]
    sev_f = {-1: 0.5, 0: 0.7, 1: 1.6, 2: 3.0}
    cat_f = {"triage": 0.3, "declined": 0.2, "merged": 0.3, "canceled": 0.3}
    weights = []
    for inc in with_channel:
        w = sev_f[inc.severity["rank"] if inc.severity else -1] * cat_f.get(inc.category, 1.0)
        if inc.mode in ("test", "tutorial", "retrospective"):
            w *= 0.15
        weights.append(w * rng.lognormvariate(0, 0.5))
    total = b.spec.messages_per_incident * len(incs)
    scale = total / (sum(weights) or 1)
    shape_rng = b.rng("slack-shapes")
    sizes = {inc.id: max(4, round(w * scale)) for inc, w in zip(with_channel, weights, strict=True)}
    planted: set[str] = set()
    for inc in with_channel:
        add_channel(b, inc)
        kinds = frozenset(k for k, share in CHANNEL_SHAPES.items() if shape_rng.random() < share)
        planted |= add_messages(b, inc, sizes[inc.id], shapes=kinds)
    # However small the organisation, every shape is somewhere: in the busiest recent closed channel
    # (rebuilt whole, so its data stays what one call with these shapes would give).
    missing = frozenset(CHANNEL_SHAPES) - planted
    recent = [
        i for i in with_channel if i.category == "closed" and i.created >= b.anchor - FORMER_AGE_DAYS * DAY
    ]
    if missing and recent:
        target = max(recent, key=lambda i: (sizes[i.id], i.id))
        kinds = _shapes_of(b, org.slack_logs[target.channel_id]) | missing
        add_messages(b, target, sizes[target.id], shapes=kinds)
    # Two ordinary channels the pipeline must leave alone (it syncs incident channels only).
    for name in ("general", "sre-oncall"):
        cid = upper_id(rng, "C0", 11)
        org.slack_channels[cid] = _channel_record(
            b, cid, name, b.start - 300 * DAY, org.people[0].slack_id, f"#{name}", False, False
        )
        org.slack_members[cid] = [p.slack_id for p in org.people]
        log = ChannelLog()
        for k in range(20):
            us = int((b.anchor - (20 - k) * DAY) * 1_000_000)
            log.add_top(
                {
                    "type": "message",
                    "ts": slack_ts(us),
                    "user": rng.choice(org.people).slack_id,
                    "text": rng.choice(texts.MESSAGES),
                    "team": org.slack_team_id,
                }
            )
        org.slack_logs[cid] = log


def _channel_record(
    b: Build, cid: str, name: str, created: float, creator: str, purpose: str, private: bool, archived: bool
) -> Record:
    return {
        "id": cid,
        "name": name,
        "name_normalized": name,
        "created": int(created),
        "creator": creator,
        "is_channel": not private,
        "is_group": private,
        "is_im": False,
        "is_mpim": False,
        "is_private": private,
        "is_archived": archived,
        "is_general": name == "general",
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "is_pending_ext_shared": False,
        "pending_shared": [],
        "is_member": True,
        "unlinked": 0,
        "previous_names": [],
        "parent_conversation": None,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": purpose, "creator": creator, "last_set": int(created)},
        "context_team_id": b.org.slack_team_id,
        "shared_team_ids": [b.org.slack_team_id],
        "updated": int(created * 1000),
    }


def add_channel(b: Build, inc: IncidentPlan) -> None:
    """The incident's channel record and its members (participants and the two bots)."""
    org = b.org
    archived = inc.category == "closed" and (inc.closed or 0) < b.anchor - 45 * DAY
    assert inc.reporter
    rec = _channel_record(
        b,
        inc.channel_id,
        inc.channel_name,
        inc.created,
        inc.reporter.slack_id,
        f"INC-{inc.number}: {inc.name}",
        inc.private,
        archived,
    )
    sev = inc.severity["name"] if inc.severity else "Unset"
    lead = inc.lead.first_name.lower() if inc.lead else "unassigned"
    rec["topic"] = {
        "value": f"{sev} | {inc.name} | Lead: @{lead}",
        "creator": b.state.bots["incident"].user,
        "last_set": int(inc.created) + 5,
    }
    org.slack_channels[inc.channel_id] = rec
    org.slack_members[inc.channel_id] = [p.slack_id for p in inc.participants] + [
        b.state.bots["incident"].user,
        b.state.bots["pagerduty"].user,
    ]


def add_messages(
    b: Build,
    inc: IncidentPlan,
    n_total: int,
    now: float | None = None,
    shapes: frozenset[str] = frozenset(),
) -> set[str]:
    """The channel's conversation: joins, bot posts, people's messages, threads (a few broadcast), plus
    the `shapes` asked for (keys of `CHANNEL_SHAPES`). Returns the shapes actually planted (a tombstone
    needs a thread, a leave someone who can leave)."""
    org = b.org
    limit = (now or b.anchor) - 30
    rng = random.Random(f"{org.seed}:slack:{inc.id}")
    team = org.slack_team_id
    bots = b.state.bots
    start = inc.created + 1
    active_end = inc.resolved or inc.fixed or inc.window_end or limit
    if inc.category == "live":
        active_end = limit
    end = min(max(inc.window_end, active_end, start + 10 * MIN), limit)
    active_end = min(max(active_end, start + 5 * MIN), end)
    used: set[int] = set()

    def uniq(t: float) -> str:
        us = int(t * 1_000_000)
        while us in used:
            us += 1
        used.add(us)
        return slack_ts(us)

    top: list[Record] = []
    threads: dict[str, list[Record]] = {}
    inc_bot, pd_bot = bots["incident"], bots["pagerduty"]

    def bot_post(bot: SlackBot, t: float, text: str, pd: bool = False) -> None:
        m: Record = {
            "type": "message",
            "ts": uniq(t),
            "bot_id": bot.bot_id,
            "app_id": bot.app_id,
            "text": text,
            "bot_profile": bot.profile,
            "team": team,
        }
        if pd:
            m["subtype"] = "bot_message"
            m["username"] = "PagerDuty"
            m["attachments"] = [
                {
                    "id": 1,
                    "color": "a8171c",
                    "fallback": text,
                    "title": text,
                    "title_link": f"{b.web}/incidents/{inc.pd_id}",
                }
            ]
        else:
            m["user"] = bot.user
        top.append(m)

    label = f"INC-{inc.number}"
    bot_post(
        inc_bot, start, f"{label} declared: {inc.name}. Lead: {inc.lead.name if inc.lead else 'unassigned'}"
    )
    for t, status_name, _ in inc.events:
        if start < t < end:
            bot_post(inc_bot, t, f"{label} status changed to {status_name}")
    if inc.pd is not None:
        bot_post(pd_bot, start + 2, f"Triggered: [#{inc.pd.number}] {inc.pd.title}", pd=True)
        t_res = inc.pd.created + inc.pd.resolve_after
        if start < t_res < end:
            bot_post(pd_bot, t_res, f"Resolved: [#{inc.pd.number}] {inc.pd.title}", pd=True)
    members = list(inc.participants)
    old = inc.created < b.anchor - FORMER_AGE_DAYS * DAY
    if old and (rng.random() < 0.15 or not b.state.former_posted):
        b.state.former_posted = True
        members.append(None)  # type: ignore[arg-type]  # the former employee, deleted from Slack since
    assert b.state.former is not None
    former_id = b.state.former.slack_id
    uid_of = [p.slack_id if p else former_id for p in members]
    inviter = inc.reporter.slack_id if inc.reporter else uid_of[0]
    t = start + 3
    for uid in uid_of:
        t += rng.uniform(1, 120)
        top.append(
            {
                "type": "message",
                "subtype": "channel_join",
                "ts": uniq(min(t, end)),
                "user": uid,
                "inviter": inviter,
                "text": f"<@{uid}> has joined the channel",
            }
        )
    remaining = max(0, n_total - len(top))
    n_top = max(1, round(remaining / 1.42))
    author_w = [3.0 if p is inc.lead else 1.0 for p in members]
    t_lo, t_hi, t_late = start + 60, active_end, end
    for _ in range(n_top):
        if t_late > t_hi and rng.random() < 0.2:
            t = rng.uniform(t_hi, t_late)
        else:
            t = rng.uniform(t_lo, max(t_hi, t_lo + 1))
        k = rng.choices(range(len(members)), author_w)[0]
        uid = uid_of[k]
        m: Record = {
            "type": "message",
            "ts": uniq(t),
            "user": uid,
            "text": rng.choice(texts.MESSAGES),
            "team": team,
            "client_msg_id": uuid4_like(rng),
        }
        r = rng.random()
        if r < 0.05:
            m["edited"] = {
                "user": uid,
                "ts": slack_ts(slack_ts_us(m["ts"]) + rng.randrange(10, 600) * 1_000_000),
            }
        elif r < 0.12:
            who = rng.sample(uid_of, min(len(uid_of), rng.randint(1, 3)))
            m["reactions"] = [
                {"name": rng.choice(("eyes", "+1", "white_check_mark")), "users": who, "count": len(who)}
            ]
        top.append(m)
        if rng.random() < 0.12:
            replies = []
            tr = t
            for _ in range(min(12, 1 + int(rng.expovariate(1 / 2.5)))):
                tr += rng.expovariate(1 / 150) + 1
                if tr > limit:
                    break
                ru = rng.choice(uid_of)
                reply = {
                    "type": "message",
                    "ts": uniq(tr),
                    "user": ru,
                    "text": rng.choice(texts.REPLIES),
                    "team": team,
                    "client_msg_id": uuid4_like(rng),
                    "thread_ts": m["ts"],
                    "parent_user_id": uid,
                }
                if rng.random() < 0.1:
                    reply["subtype"] = "thread_broadcast"
                    reply["root"] = {"ts": m["ts"], "user": uid, "text": m["text"], "thread_ts": m["ts"]}
                    top.append(reply)
                replies.append(reply)
            if replies:
                replies.sort(key=lambda x: x["ts"])
                threads[m["ts"]] = replies
                set_thread_fields(m, replies)
    planted = _plant_shapes(b, inc, shapes, top, threads, uid_of, uniq, start, end)
    top.sort(key=lambda x: slack_ts_us(x["ts"]))
    log = ChannelLog(top=top, top_keys=[slack_ts_us(x["ts"]) for x in top], threads=threads)
    org.slack_logs[inc.channel_id] = log
    return planted


def _outsider_users(b: Build) -> list[Record]:
    """Slack users outside the organisation (`texts.OUTSIDERS`), as users.list shows them: Slack Connect
    users carry their own team's `team_id` and `is_stranger`; guests are `is_restricted` (single-channel
    guests also `is_ultra_restricted`)."""
    rng = b.rng("slack-outsiders")
    org = b.org
    foreign: dict[str, str] = {}
    users: list[Record] = []
    for first, last, domain, kind in texts.OUTSIDERS:
        team = foreign.setdefault(domain, upper_id(rng, "T0", 11)) if kind == "connect" else org.slack_team_id
        o = Outsider(
            first_name=first,
            last_name=last,
            email=f"{first}.{last}@{domain}".lower(),
            kind=kind,
            slack_id=upper_id(rng, "U0", 11),
            team_id=team,
        )
        b.state.outsiders.append(o)
        user: Record = {
            "id": o.slack_id,
            "team_id": team,
            "name": o.email.split("@")[0],
            "deleted": False,
            "real_name": o.name,
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": {
                "real_name": o.name,
                "display_name": first.lower(),
                "real_name_normalized": o.name,
                "display_name_normalized": first.lower(),
                "email": o.email,
                "first_name": first,
                "last_name": last,
                "title": "",
                "team": team,
            },
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": kind != "connect",
            "is_ultra_restricted": kind == "single_channel_guest",
            "is_bot": False,
            "is_app_user": False,
            "updated": int(b.start),
        }
        if kind == "connect":
            user["is_stranger"] = True
        users.append(user)
    return users


def _shapes_of(b: Build, log: ChannelLog) -> frozenset[str]:
    """The shapes a built channel already holds (so a rebuild keeps them)."""
    messages = [*log.top, *(r for replies in log.threads.values() for r in replies)]
    kinds = {str(m.get("subtype")) for m in messages} & set(CHANNEL_SHAPES)
    outsiders = {o.slack_id for o in b.state.outsiders}
    if any(m.get("user") in outsiders for m in messages):
        kinds.add("outsider")
    return frozenset(kinds)


def _plant_shapes(
    b: Build,
    inc: IncidentPlan,
    shapes: frozenset[str],
    top: list[Record],
    threads: dict[str, list[Record]],
    uid_of: list[str],
    uniq: Callable[[float], str],
    start: float,
    end: float,
) -> set[str]:
    """Turn some of the channel's messages into the `shapes` asked for, or add the events they stand
    for; returns the shapes planted. Draws from its own stream: the plain conversation stays the same."""
    if not shapes:
        return set()
    org = b.org
    rng = random.Random(f"{org.seed}:slack-shapes:{inc.id}")
    cid = inc.channel_id
    record = org.slack_channels[cid]
    team = org.slack_team_id
    planted: set[str] = set()
    people_posts = [m for m in top if m.get("client_msg_id") and "subtype" not in m]
    plain = [m for m in people_posts if "reply_count" not in m]
    span = max(end - start, 60.0)
    t: float

    def event(t: float, uid: str, subtype: str, text: str, **extra: Any) -> Record:
        m: Record = {
            "type": "message",
            "subtype": subtype,
            "ts": uniq(min(t, end)),
            "user": uid,
            "text": text,
        }
        m.update(extra)
        top.append(m)
        return m

    speaker = inc.lead.slack_id if inc.lead else uid_of[0]
    if "file_share" in shapes and plain:
        for m in rng.sample(plain, min(len(plain), rng.randint(1, 3))):
            name, mime, kind, pretty = rng.choice(texts.FILE_NAMES)
            fid = upper_id(rng, "F0", 11)
            t = int(slack_ts_us(m["ts"]) // 1_000_000)
            m.update(
                subtype="file_share",
                upload=True,
                display_as_bot=False,
                files=[
                    {
                        "id": fid,
                        "created": t,
                        "timestamp": t,
                        "name": name,
                        "title": name,
                        "mimetype": mime,
                        "filetype": kind,
                        "pretty_type": pretty,
                        "user": m["user"],
                        "user_team": team,
                        "size": rng.randrange(2_000, 400_000),
                        "mode": "hosted",
                        "is_external": False,
                        "is_public": not inc.private,
                        "url_private": f"https://files.slack.com/files-pri/{team}-{fid}/{name}",
                        "permalink": f"https://{org.company}.slack.com/files/{m['user']}/{fid}/{name}",
                    }
                ],
            )
            plain.remove(m)
        planted.add("file_share")
    if "me_message" in shapes and plain:
        m = rng.choice(plain)
        m.update(subtype="me_message", text=rng.choice(texts.ME_MESSAGES))
        m.pop("client_msg_id", None)  # /me actions are sent by the client as a command
        plain.remove(m)
        planted.add("me_message")
    if "channel_topic" in shapes:
        topic = f"Mitigating: {inc.name}"
        t = start + span * rng.uniform(0.2, 0.6)
        event(t, speaker, "channel_topic", f"set the channel topic: {topic}", topic=topic)
        record["topic"] = {"value": topic, "creator": speaker, "last_set": int(t)}
        planted.add("channel_topic")
    if "channel_purpose" in shapes:
        purpose = f"Coordinating {inc.name}; updates in the thread of the pinned message."
        t = start + span * rng.uniform(0.05, 0.3)
        event(t, speaker, "channel_purpose", f"set the channel description: {purpose}", purpose=purpose)
        record["purpose"] = {"value": purpose, "creator": speaker, "last_set": int(t)}
        planted.add("channel_purpose")
    if "channel_name" in shapes:
        old_name = f"inc-{inc.number}-triage"
        new_name = record["name"]
        event(
            start + 20,
            speaker,
            "channel_name",
            f"renamed the channel from \u201c{old_name}\u201d to \u201c{new_name}\u201d",
            old_name=old_name,
            name=new_name,
        )
        record["previous_names"] = [old_name]
        planted.add("channel_name")
    if "channel_leave" in shapes:
        leavers = [u for u in uid_of if u != speaker and (not inc.reporter or u != inc.reporter.slack_id)]
        if leavers:
            uid = rng.choice(leavers)
            last = max((slack_ts_us(m["ts"]) / 1e6 for m in top if m.get("user") == uid), default=start)
            t = last + rng.uniform(30, 600)
            if t < end:
                event(t, uid, "channel_leave", f"<@{uid}> has left the channel")
                members = org.slack_members.get(cid, [])
                if uid in members:
                    members.remove(uid)
                planted.add("channel_leave")
    if "pinned_item" in shapes and people_posts:
        pinned = rng.choice(people_posts)
        pinned["pinned_to"] = [cid]
        t = slack_ts_us(pinned["ts"]) / 1e6 + rng.uniform(30, 900)
        event(
            t,
            speaker,
            "pinned_item",
            f"<@{speaker}> pinned a message to this channel.",
            item_type="C",
            item={"type": "message", "ts": pinned["ts"], "user": pinned["user"], "text": pinned["text"]},
        )
        planted.add("pinned_item")
    if "reminder_add" in shapes:
        what = rng.choice(texts.REMINDERS)
        event(
            start + span * rng.uniform(0.3, 0.9),
            speaker,
            "reminder_add",
            f"set up a reminder \u201c{what}\u201d in this channel at 9AM tomorrow, UTC.",
        )
        planted.add("reminder_add")
    if "tombstone" in shapes:
        parents = [m for m in top if m.get("reply_count") and m.get("client_msg_id")]
        if parents:
            parent = rng.choice(parents)
            kept = {
                k: parent[k]
                for k in (
                    "ts",
                    "thread_ts",
                    "reply_count",
                    "reply_users_count",
                    "reply_users",
                    "latest_reply",
                    "is_locked",
                    "subscribed",
                )
            }
            parent.clear()
            # The person deleted the thread's first message: Slack keeps a placeholder for the replies.
            parent.update(
                type="message",
                subtype="tombstone",
                user="USLACKBOT",
                text="This message was deleted.",
                hidden=True,
                **kept,
            )
            planted.add("tombstone")
    if "outsider" in shapes and b.state.outsiders:
        o = rng.choice(b.state.outsiders)
        t = start + span * rng.uniform(0.1, 0.4)
        event(t, o.slack_id, "channel_join", f"<@{o.slack_id}> has joined the channel", inviter=speaker)
        members = org.slack_members.setdefault(cid, [])
        if o.slack_id not in members:
            members.append(o.slack_id)
        for _ in range(rng.randint(1, 4)):
            t += rng.uniform(60, 1200)
            if t >= end:
                break
            said: Record = {
                "type": "message",
                "ts": uniq(t),
                "user": o.slack_id,
                "text": rng.choice(texts.EXTERNAL_MESSAGES),
                "team": o.team_id,
                "client_msg_id": uuid4_like(rng),
            }
            if o.kind == "connect":  # a shared channel: the post comes from the other organisation
                said.update(user_team=o.team_id, source_team=o.team_id)
            top.append(said)
        planted.add("outsider")
    return planted
