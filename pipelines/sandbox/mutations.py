"""The changes between two syncs: `mutate(org, step)`."""

from __future__ import annotations

import random
from typing import Any

from pipelines.sandbox import texts
from pipelines.sandbox.generate import incidentio, organisation, pagerduty, slack
from pipelines.sandbox.generate.common import (
    DAY,
    HOUR,
    MIN,
    PD_API,
    Build,
    set_thread_fields,
)
from pipelines.sandbox.ids import (
    iso_ms,
    iso_s,
    slack_ts,
    slack_ts_us,
    ulid,
    upper_id,
    uuid4_like,
)
from pipelines.sandbox.model import (
    IncidentPlan,
    Organisation,
    PagePlan,
)


def mutate(org: Organisation, step: int | None = None) -> dict[str, Any]:
    """Apply change set `step`: what happens between two syncs. Deterministic for (org seed, step).
    Returns a summary of the change set (the ids touched, by kind), which `POST /_sandbox/mutate` echoes.

    Each step, at `anchor + 10 min × step`: one or two new incidents (live, with a channel and a page),
    an old incident edited (name or severity; `updated_at` moves), a live incident resolved (with its
    PagerDuty incident, whose `created_at` stays), new Slack messages, a late reply in an old thread (its
    parent's `latest_reply` moves), a new note on an old PagerDuty incident, and deletions at the source:
    a Slack message and a thread reply, an incident.io action, follow-up and attachment, and a role
    unassigned.
    """
    with org.lock:
        step = step if step is not None else (max(org.mutation_steps, default=0) + 1)
        rng = random.Random(f"{org.seed}:mutate:{step}")
        b = Build(org)
        now = b.anchor + step * 10 * MIN
        plans: dict[str, IncidentPlan] = b.state.incidents
        pd_plans: dict[str, PagePlan] = b.state.pages
        summary: dict[str, Any] = {"step": step, "at": iso_s(now)}

        # 1. New incidents, declared just now.
        new_ids = []
        for _ in range(1 if org.size == "small" else 2):
            sev = rng.choice(org.io_severities[:2])
            inc = IncidentPlan(
                number=b.state.next_incident_number,
                mode="standard",
                category="live",
                severity=sev,
                type=org.io_types[0],
                created=now - rng.uniform(1, 8) * MIN,
            )
            b.state.next_incident_number += 1
            inc.id = ulid(rng, inc.created)
            inc.reported = inc.created
            inc.status = "Investigating"
            inc.updated = inc.created + 30
            organisation.people_and_links(b, rng, inc)
            inc.link = "attachment"
            pd = pagerduty.linked_page(b, rng, inc)
            pd.number = b.state.next_pd_number
            b.state.next_pd_number += 1
            pagerduty.add_incident(b, pd, now)
            incidentio.add_incident(b, inc)
            slack.add_channel(b, inc)
            slack.add_messages(b, inc, 8, now)
            new_ids.append(inc.id)
        summary["new_incidents"] = new_ids
        summary["new_pagerduty_incidents"] = [plans[i].pd_id for i in new_ids]

        # 2. An old closed incident edited by hand.
        old = sorted(
            (p for p in plans.values() if p.category == "closed" and p.mode == "standard"), key=lambda p: p.id
        )
        edited = rng.choice(old)
        rec = dict(org.io_incidents[edited.id])
        if rng.random() < 0.5 or not rec["severity"]:
            rec["name"] = edited.name = edited.name + " (edited)"
        else:
            rec["severity"] = org.io_severities[min(2, rec["severity"]["rank"] + 1)]
            org.io_updates[edited.id] = [
                *org.io_updates[edited.id],
                {
                    "id": ulid(rng, now),
                    "incident_id": edited.id,
                    "created_at": iso_ms(now),
                    "message": "Severity changed after review.",
                    "new_incident_status": rec["incident_status"],
                    "new_severity": rec["severity"],
                    "updater": {"user": incidentio.user_v2(edited.lead or edited.reporter)},
                },
            ]
        rec["updated_at"] = iso_ms(now)
        org.io_incidents[edited.id] = rec
        summary["edited_incident"] = edited.id

        # 3. A live incident resolved, and its page too.
        live = sorted(
            (p for p in plans.values() if p.category == "live" and p.id not in new_ids),
            key=lambda p: p.created,
        )
        summary["resolved_incident"] = None
        summary["resolved_pagerduty_incident"] = None
        if live:
            inc = live[0]
            inc.category = "learning"
            inc.fixed = inc.fixed or now - 5 * MIN
            inc.resolved = inc.resolved_value = now
            inc.events.append((now, "Documenting", inc.severity))
            inc.status = "Documenting"
            inc.updated = now
            incidentio.add_incident(b, inc)
            if inc.pd is not None:
                pagerduty.resolve(b, inc.pd, now)
                summary["resolved_pagerduty_incident"] = inc.pd.id
            if inc.channel_id:
                log = org.slack_logs[inc.channel_id]
                log.add_top(
                    {
                        "type": "message",
                        "ts": slack_ts(int(now * 1_000_000)),
                        "user": b.state.bots["incident"].user,
                        "bot_id": b.state.bots["incident"].bot_id,
                        "text": f"INC-{inc.number} status changed to Documenting",
                        "team": org.slack_team_id,
                    }
                )
            summary["resolved_incident"] = inc.id
        # Another open page (unrelated to incident.io) resolves; its created_at stays long ago.
        open_pd = sorted(
            (p for p in pd_plans.values() if org.pd_incidents[p.id]["status"] != "resolved" and p.io is None),
            key=lambda p: p.created,
        )
        summary["resolved_unlinked_pagerduty_incident"] = None
        if open_pd:
            pagerduty.resolve(b, open_pd[0], now)
            summary["resolved_unlinked_pagerduty_incident"] = open_pd[0].id

        # 4. New messages in a live channel, and 5. a late reply in an old thread.
        channels = [p.channel_id for p in plans.values() if p.channel_id and p.category == "live"]
        summary["new_messages"] = []
        if channels:
            cid = rng.choice(sorted(channels))
            log = org.slack_logs[cid]
            members = org.slack_members[cid]
            for k in range(3):
                ts = slack_ts(int((now - 60 + k * 7) * 1_000_000) + 17)
                log.add_top(
                    {
                        "type": "message",
                        "ts": ts,
                        "user": members[k % max(1, len(members) - 2)],
                        "text": rng.choice(texts.MESSAGES),
                        "team": org.slack_team_id,
                        "client_msg_id": uuid4_like(rng),
                    }
                )
                summary["new_messages"].append([cid, ts])
        threads = sorted(
            (cid, ts)
            for cid, log in org.slack_logs.items()
            for ts in log.threads
            if slack_ts_us(ts) < (b.anchor - 20 * DAY) * 1_000_000
        )
        summary["late_reply"] = None
        if threads:
            cid, parent_ts = rng.choice(threads)
            log = org.slack_logs[cid]
            parent = log.find_top(parent_ts)
            if parent is not None:
                reply_ts = slack_ts(int(now * 1_000_000) + 29)
                reply = {
                    "type": "message",
                    "ts": reply_ts,
                    "user": rng.choice(org.slack_members[cid][:-2] or [parent["user"]]),
                    "text": "Coming back to this: the follow-up is done.",
                    "team": org.slack_team_id,
                    "client_msg_id": uuid4_like(rng),
                    "thread_ts": parent_ts,
                    "parent_user_id": parent["user"],
                }
                log.add_reply(parent, reply)
                # A new dict for the parent, so a response being serialised never sees a half update.
                new_parent = dict(parent)
                set_thread_fields(new_parent, log.threads[parent_ts])
                log.replace_top(parent, new_parent)
                summary["late_reply"] = [cid, parent_ts, reply_ts]

        # 6. A note on an old resolved page: a new log entry with the incident itself unchanged.
        resolved_pd = sorted(
            p.id for p in pd_plans.values() if org.pd_incidents[p.id]["status"] == "resolved"
        )
        pid = rng.choice(resolved_pd)
        entries = org.pd_log_entries[pid]
        note = dict(entries[-1])
        note.update(
            id=upper_id(rng, "R", 26),
            type="annotate_log_entry",
            summary="Note added",
            created_at=iso_s(now),
            channel={"type": "website"},
            note="Post-incident review done.",
        )
        note["self"] = f"{PD_API}/log_entries/{note['id']}?incident_id={pid}"
        note["html_url"] = f"{b.web}/incidents/{pid}/log_entries/{note['id']}"
        note.pop("assignees", None)
        org.pd_log_entries[pid] = [*entries, note]
        summary["new_log_entries"] = [[pid, note["id"]]]

        # 7. Deletions at the source: the next full read of each set no longer holds them.
        summary.update(_delete_slack(org, rng))
        summary.update(_delete_incidentio(b, rng, now))

        # 8. An escalation changes after it was created: the newest acknowledged one resolves now (its
        # `updated_at` moves, `created_at` stays). No random draw, so the steps above are unchanged.
        summary["resolved_escalation"] = _resolve_escalation(org, now)

        org.mutation_steps.append(step)
        org.data_time = max(org.data_time, now)
        org.version += 1
        return summary


def typical_hour(org: Organisation, step: int | None = None, messages: int = 100, updated: int = 3) -> dict:
    """Apply one typical hour of change (the benchmark's "hourly run after a typical hour", issue 15):
    `updated` live incidents each get a new update (`updated_at` moves, nothing else), and `messages` new
    Slack messages are posted in the live incidents' channels, one in ten as a thread reply to the
    message posted just before it in that channel. Nothing is created or deleted elsewhere.

    The hour runs from the newest time the data knows (`data_time`) to one hour later, so every change is
    newer than anything a previous sync saw. `step` numbers the change set like `mutate`'s (default: the
    next one) and seeds it: deterministic for (org seed, step, the org's state). Returns a summary: the
    step, the hour's end, the incidents updated and the messages posted (`[channel, ts]`, replies as
    `[channel, ts, parent ts]`). Raises `ValueError` when the organisation has no live incident with a
    channel (nowhere to post).
    """
    with org.lock:
        step = step if step is not None else (max(org.mutation_steps, default=0) + 1)
        rng = random.Random(f"{org.seed}:typical-hour:{step}")
        start = max(org.data_time, org.anchor.timestamp())
        now = start + HOUR
        live = sorted(
            (p for p in org.context.incidents.values() if p.category == "live" and p.channel_id),
            key=lambda p: p.id,
        )
        if not live:
            raise ValueError("no live incident with a Slack channel: nowhere to post a typical hour")

        touched = rng.sample(live, min(updated, len(live)))
        for k, plan in enumerate(sorted(touched, key=lambda p: p.id)):
            at = start + (k + 1) * HOUR / (len(touched) + 1)
            rec = dict(org.io_incidents[plan.id])
            org.io_updates[plan.id] = [
                *org.io_updates.get(plan.id, []),
                {
                    "id": ulid(rng, at),
                    "incident_id": plan.id,
                    "created_at": iso_ms(at),
                    "message": rng.choice(texts.UPDATE_MESSAGES),
                    "new_incident_status": rec["incident_status"],
                    "new_severity": rec["severity"],
                    "updater": {"user": incidentio.user_v2(plan.lead or plan.reporter)},
                },
            ]
            rec["updated_at"] = iso_ms(at)
            org.io_incidents[plan.id] = rec

        posted: list[list[str]] = []
        last_top: dict[str, dict[str, Any]] = {}
        for k in range(messages):
            cid = str(rng.choice(live).channel_id)
            log = org.slack_logs[cid]
            members = org.slack_members[cid]
            # Evenly through the hour, a few microseconds apart so no two messages share a ts.
            ts = slack_ts(int((start + (k + 1) * HOUR / (messages + 1)) * 1_000_000) + k)
            message = {
                "type": "message",
                "ts": ts,
                "user": rng.choice(members[:-2] or members),
                "text": rng.choice(texts.MESSAGES),
                "team": org.slack_team_id,
                "client_msg_id": uuid4_like(rng),
            }
            parent = last_top.get(cid)
            if k % 10 == 9 and parent is not None:
                message.update(thread_ts=parent["ts"], parent_user_id=parent["user"])
                log.add_reply(parent, message)
                # A new dict for the parent, so a response being serialised never sees a half update.
                new_parent = dict(parent)
                set_thread_fields(new_parent, log.threads[parent["ts"]])
                log.replace_top(parent, new_parent)
                last_top[cid] = new_parent
                posted.append([cid, ts, parent["ts"]])
            else:
                log.add_top(message)
                last_top[cid] = message
                posted.append([cid, ts])

        org.mutation_steps.append(step)
        org.data_time = now
        org.version += 1
        return {
            "step": step,
            "kind": "typical_hour",
            "at": iso_s(now),
            "updated_incidents": sorted(p.id for p in touched),
            "new_messages": posted,
        }


def _resolve_escalation(org: Organisation, now: float) -> str | None:
    """Resolve the newest `acked` incident.io escalation at `now`; its id, or None when there is none."""
    for k, esc in enumerate(org.io_escalations):  # newest first
        if esc["status"] == "acked":
            at = iso_ms(now)
            event = {"id": ulid(random.Random(f"{org.seed}:escalation-resolved:{esc['id']}"), now)}
            event.update(event="resolved", occurred_at=at)
            # A new dict, so a response being serialised never sees a half update.
            org.io_escalations[k] = {
                **esc,
                "status": "resolved",
                "events": [*esc["events"], event],
                "updated_at": at,
            }
            return str(esc["id"])
    return None


def _delete_slack(org: Organisation, rng: random.Random) -> dict[str, Any]:
    """A person deletes a message in an incident channel, and another deletes a thread reply; the
    thread's parent then shows the remaining replies (`reply_count`, `reply_users`, `latest_reply`), as
    Slack's own parent does."""
    out: dict[str, Any] = {"deleted_message": None, "deleted_reply": None}
    incident_channels = sorted(
        i["slack_channel_id"] for i in org.io_incidents.values() if i.get("slack_channel_id")
    )
    plain = [
        (cid, m)
        for cid in incident_channels
        if cid in org.slack_logs
        for m in org.slack_logs[cid].top
        if m.get("client_msg_id") and "subtype" not in m and "reply_count" not in m
    ]
    if plain:
        cid, message = rng.choice(plain)
        org.slack_logs[cid].remove_top(message)
        out["deleted_message"] = [cid, message["ts"]]
    threads = [
        (cid, parent_ts)
        for cid in incident_channels
        if cid in org.slack_logs
        for parent_ts, replies in sorted(org.slack_logs[cid].threads.items())
        if len(replies) >= 2 and org.slack_logs[cid].find_top(parent_ts) is not None
    ]
    if threads:
        cid, parent_ts = rng.choice(threads)
        log = org.slack_logs[cid]
        reply = rng.choice(
            [r for r in log.threads[parent_ts] if r.get("subtype") != "thread_broadcast"]
            or log.threads[parent_ts]
        )
        parent = log.find_top(parent_ts)
        assert parent is not None
        log.remove_reply(parent_ts, reply)
        # A new dict for the parent, so a response being serialised never sees a half update.
        new_parent = dict(parent)
        set_thread_fields(new_parent, log.threads[parent_ts])
        log.replace_top(parent, new_parent)
        out["deleted_reply"] = [cid, parent_ts, reply["ts"]]
    return out


def _delete_incidentio(b: Build, rng: random.Random, now: float) -> dict[str, Any]:
    """An action, a follow-up and an attachment (not the PagerDuty link) removed in incident.io, and a
    Communications Lead unassigned (the role's entry stays, without an assignee; `updated_at` moves)."""
    org = b.org
    gone = b.state.deleted
    out: dict[str, Any] = {}
    if org.io_actions:
        action = rng.choice(org.io_actions)
        org.io_actions = [a for a in org.io_actions if a is not action]
        gone.add(action["id"])
        out["deleted_action"] = action["id"]
    if org.io_follow_ups:
        follow_up = rng.choice(org.io_follow_ups)
        org.io_follow_ups = [f for f in org.io_follow_ups if f is not follow_up]
        gone.add(follow_up["id"])
        out["deleted_follow_up"] = follow_up["id"]
    others = [
        (inc_id, a)
        for inc_id, atts in sorted(org.io_attachments.items())
        for a in atts
        if a["resource"]["resource_type"] != "pager_duty_incident"
    ]
    if others:
        inc_id, attachment = rng.choice(others)
        org.io_attachments[inc_id] = [a for a in org.io_attachments[inc_id] if a is not attachment]
        gone.add(attachment["id"])
        out["deleted_attachment"] = [inc_id, attachment["id"]]
    plans = b.state.incidents
    with_comms = sorted(i for i, p in plans.items() if p.comms is not None and p.category == "closed")
    out["unassigned_role"] = None
    if with_comms:
        inc_id = rng.choice(with_comms)
        plans[inc_id].comms = None  # a rebuild of the incident agrees
        rec = dict(org.io_incidents[inc_id])
        rec["incident_role_assignments"] = [
            {"role": a["role"]} if a["role"]["role_type"] == "custom" else a
            for a in rec["incident_role_assignments"]
        ]
        rec["updated_at"] = iso_ms(now)
        org.io_incidents[inc_id] = rec
        out["unassigned_role"] = [inc_id, "custom"]
    return out
