"""incident.io: the account configuration, users, and each incident's record, updates, attachments, actions
and follow-ups."""

from __future__ import annotations

import random
from typing import Any

from pipelines.sandbox import texts
from pipelines.sandbox.generate import teams
from pipelines.sandbox.generate.common import (
    DAY,
    HOUR,
    MIN,
    Build,
    lognorm,
)
from pipelines.sandbox.ids import (
    iso_ms,
    ulid,
    upper_id,
)
from pipelines.sandbox.model import (
    FormerEmployee,
    IncidentPlan,
    Person,
    Record,
)


def add_config(b: Build) -> None:
    """The account's configuration (statuses, severities, timestamps, types, roles, custom fields, follow-up
    priorities, duration metrics) and its users, the former employee included."""
    rng = b.rng("incidentio-config")
    t0 = b.start - 300 * DAY
    created = iso_ms(t0)

    def obj(**kw: Any) -> Record:
        return {"id": ulid(rng, t0), **kw}

    statuses = [
        ("Triage", "triage", 0, "We're triaging this incident."),
        ("Declined", "declined", -1, "This incident was declined."),
        ("Merged", "merged", -2, "This incident was merged into another incident."),
        ("Canceled", "canceled", -3, "This incident was canceled."),
        ("Investigating", "live", 1, "We're investigating the issue."),
        ("Fixing", "live", 2, "We know what's wrong and are fixing it."),
        ("Monitoring", "live", 3, "A fix is in place and we're monitoring."),
        ("Documenting", "learning", 4, "We're writing up what happened."),
        ("Reviewing", "learning", 5, "We're reviewing the incident."),
        ("Closed", "closed", 6, "We're confident the issue is resolved."),
        ("Paused", "paused", 7, "The incident is paused."),
    ]
    b.org.io_statuses = [
        obj(name=n, description=d, category=c, rank=r, created_at=created, updated_at=created)
        for n, c, r, d in statuses
    ]
    b.org.io_severities = [
        obj(
            name="Minor",
            description="Issues with low impact.",
            rank=0,
            created_at=created,
            updated_at=created,
        ),
        obj(
            name="Major",
            description="Issues causing significant impact.",
            rank=1,
            created_at=created,
            updated_at=created,
        ),
        obj(
            name="Critical",
            description="Issues causing very high impact.",
            rank=2,
            created_at=created,
            updated_at=created,
        ),
    ]
    names = [
        "Reported at",
        "Accepted at",
        "Declined at",
        "Merged at",
        "Canceled at",
        "Resolved at",
        "Impact started at",
        "Identified at",
        "Fixed at",
        "Documented at",
        "Reviewed at",
        "Closed at",
    ]
    ranks = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12]
    b.org.io_timestamps = [obj(name=n, rank=r) for n, r in zip(names, ranks, strict=True)]
    b.org.io_types = [
        obj(
            name="Default",
            description="",
            is_default=True,
            private_incidents_only=False,
            create_in_triage="optional",
            created_at=created,
            updated_at=created,
        ),
        obj(
            name="Security",
            description="Security incidents",
            is_default=False,
            private_incidents_only=False,
            create_in_triage="always",
            created_at=created,
            updated_at=created,
        ),
        obj(
            name="Customer-facing",
            description="Incidents customers can see",
            is_default=False,
            private_incidents_only=False,
            create_in_triage="optional",
            created_at=created,
            updated_at=created,
        ),
    ]
    b.org.io_roles = [
        obj(
            name="Incident Lead",
            description="The person currently coordinating the incident",
            instructions="- Make sure it's clear who is doing what",
            shortform="lead",
            role_type="lead",
            required=False,
            created_at=created,
            updated_at=created,
        ),
        obj(
            name="Reporter",
            description="The person who reported the incident",
            instructions="",
            shortform="",
            role_type="reporter",
            required=False,
            created_at=created,
            updated_at=created,
        ),
        obj(
            name="Communications Lead",
            description="Keeps stakeholders and the status page updated",
            instructions="- Post an update every 30 minutes",
            shortform="comms",
            role_type="custom",
            required=False,
            created_at=created,
            updated_at=created,
        ),
    ]
    services_field = obj(
        name="Affected services",
        description="Which services are impacted",
        field_type="multi_select",
        options=[],
    )
    services_field["options"] = [
        {"id": ulid(rng, t0), "custom_field_id": services_field["id"], "value": s, "sort_key": i * 10}
        for i, s in enumerate(texts.SERVICES[: b.spec.services])
    ]
    impact_field = obj(
        name="Customer impact",
        description="How many customers noticed",
        field_type="single_select",
        options=[],
    )
    impact_field["options"] = [
        {"id": ulid(rng, t0), "custom_field_id": impact_field["id"], "value": v, "sort_key": i * 10}
        for i, v in enumerate(("None", "Some customers", "All customers"))
    ]
    pd_field = obj(
        name="PagerDuty incident",
        description="Link to the PagerDuty incident",
        field_type="link",
        options=[],
    )
    for f in (services_field, impact_field, pd_field):
        f.update(
            created_at=created,
            updated_at=created,
            required="never",
            show_before_creation=False,
            show_before_closure=False,
            show_before_update=False,
        )
    b.org.io_custom_fields = [services_field, impact_field, pd_field]
    b.state.follow_up_priorities = [
        {"id": ulid(rng, t0), "name": n, "description": d, "rank": r}
        for n, d, r in (
            ("Urgent", "Must be done this week.", 0),
            ("High", "Should be done soon.", 1),
            ("Medium", "Normal priority.", 2),
            ("Low", "A follow-up that is of lower priority compared to other tasks.", 3),
        )
    ]
    b.state.duration_metrics = [
        {"id": ulid(rng, t0), "name": "Lasted"},
        {"id": ulid(rng, t0), "name": "Time to fix"},
    ]
    base_roles = {
        "responder": {
            "id": ulid(rng, t0),
            "name": "Responder",
            "slug": "responder",
            "description": "Can respond to incidents",
        },
        "admin": {
            "id": ulid(rng, t0),
            "name": "Admin",
            "slug": "admin",
            "description": "Can manage settings",
        },
    }
    users: list[Record] = []
    for p in b.org.people:
        users.append(
            {
                "id": p.incidentio_id,
                "name": p.name,
                "email": p.email,
                "slack_user_id": p.slack_id,
                "role": "unset",
                "is_active": True,
                "base_role": base_roles["admin" if p.index == 0 else "responder"],
                "custom_roles": [],
                "seats": {
                    "on_call": "full_access" if p.pagerduty_id else "none",
                    "response": "full_access",
                },
            }
        )
    # A former employee, still known to incident.io (inactive) and Slack (deleted).
    former = b.state.former = FormerEmployee(
        name="Old Hand",
        email=f"old.hand@{b.org.company}.example",
        io_id=ulid(rng, t0),
        slack_id=upper_id(rng, "U0", 11),
    )
    users.append(
        {
            "id": former.io_id,
            "name": former.name,
            "email": former.email,
            "slack_user_id": former.slack_id,
            "role": "unset",
            "is_active": False,
            "base_role": base_roles["responder"],
            "custom_roles": [],
            "seats": {"on_call": "none", "response": "none"},
        }
    )
    users.sort(key=lambda u: u["id"])
    b.org.io_users = users


def user_v2(p: Person | None) -> Record | None:
    """A person as incident.io's v2 user object embedded in records; None stays None."""
    if p is None:
        return None
    return {
        "id": p.incidentio_id,
        "name": p.name,
        "email": p.email,
        "role": "unset",
        "slack_user_id": p.slack_id,
    }


def add_incident(b: Build, inc: IncidentPlan) -> Record:
    """The incident's record as the API shows it, with its updates, attachments, actions and follow-ups
    (rebuilt whole when a mutation changes the plan; ids stay, deleted records stay deleted)."""
    org = b.org
    rng = random.Random(f"{org.seed}:io:{inc.id}")
    if inc.id in org.io_incidents:  # rebuilt after a mutation: replace its actions and follow-ups
        org.io_actions = [x for x in org.io_actions if x["incident_id"] != inc.id]
        org.io_follow_ups = [x for x in org.io_follow_ups if x["incident_id"] != inc.id]
    status = next(s for s in org.io_statuses if s["name"] == inc.status)
    roles = {r["role_type"]: r for r in org.io_roles}
    assignments = [
        {"role": roles["lead"], **({"assignee": user_v2(inc.lead)} if inc.lead else {})},
        {"role": roles["reporter"], "assignee": user_v2(inc.reporter)},
        {"role": roles["custom"], **({"assignee": user_v2(inc.comms)} if inc.comms else {})},
    ]
    fields = {f["name"]: f for f in org.io_custom_fields}
    opts = {o["value"]: o for o in fields["Affected services"]["options"]}
    impact_opts = fields["Customer impact"]["options"]
    pd_values: list[Record] = []
    if inc.link == "custom_field" and inc.pd_id:
        pd_values = [{"value_link": f"{b.web}/incidents/{inc.pd_id}"}]
    entries = [
        {
            "custom_field": fields["Affected services"],
            "values": [{"value_option": opts[s["name"]]} for s in inc.services],
        },
        {
            "custom_field": fields["Customer impact"],
            "values": []
            if inc.category == "triage"
            else [
                {
                    "value_option": impact_opts[
                        min(2, (inc.severity["rank"] if inc.severity else 0) + (rng.random() < 0.3))
                    ]
                }
            ],
        },
        {"custom_field": fields["PagerDuty incident"], "values": pd_values},
        *teams.field_entries(b, inc),  # the catalog-backed and other second-wave fields
    ]
    ts_values: dict[str, float | None] = {
        "Reported at": None if inc.reported_null else inc.reported,
        "Accepted at": inc.accepted,
        "Declined at": inc.declined,
        "Merged at": inc.merged,
        "Canceled at": inc.canceled,
        "Resolved at": inc.resolved_value,
        "Impact started at": inc.impact,
        "Identified at": inc.identified,
        "Fixed at": inc.fixed,
        "Documented at": None,
        "Reviewed at": None,
        "Closed at": inc.closed,
    }
    stamp_values = [
        {
            "incident_timestamp": ts,
            "value": None if (at := ts_values[ts["name"]]) is None else {"value": iso_ms(at)},
        }
        for ts in org.io_timestamps
    ]
    start = inc.reported
    metrics: list[Record] = []
    for metric, end in zip(b.state.duration_metrics, (inc.resolved_value, inc.fixed), strict=True):
        if end is None:
            metrics.append({"duration_metric": metric, "status": "timestamps_missing"})
        elif end < start:
            metrics.append({"duration_metric": metric, "status": "invalid_timestamps"})
        else:
            metrics.append(
                {"duration_metric": metric, "status": "success", "value_seconds": int(end - start)}
            )
    workload = round(len(inc.participants) * lognorm(rng, 25, 0.6), 1) if inc.category != "triage" else 0.0
    creator: Record = {"user": user_v2(inc.reporter)}
    if inc.link == "attachment" and rng.random() < 0.3:
        creator = {"workflow": {"id": ulid(rng, b.start), "name": "Declare from PagerDuty"}}
    record: Record = {
        "id": inc.id,
        "reference": f"INC-{inc.number}",
        "name": inc.name,
        "summary": inc.summary,
        "mode": inc.mode,
        "visibility": "private" if inc.private else "public",
        "permalink": f"https://app.incident.io/{org.company}/incidents/{inc.number}",
        "call_url": inc.call_url,
        "slack_channel_id": inc.channel_id,
        "slack_channel_name": inc.channel_name,
        "slack_team_id": org.slack_team_id,
        "postmortem_document_url": (
            f"https://docs.{org.company}.example/postmortems/INC-{inc.number}"
            if inc.category == "closed" and (inc.severity or {}).get("rank", 0) >= 1
            else None
        ),
        "postmortem_document_ids": [],
        "has_debrief": False,
        "external_issue_reference": (
            {
                "provider": "jira",
                "issue_name": f"OPS-{1000 + inc.number}",
                "issue_permalink": f"https://{org.company}.atlassian.net/browse/OPS-{1000 + inc.number}",
            }
            if rng.random() < 0.15
            else None
        ),
        "created_at": iso_ms(inc.created),
        "updated_at": iso_ms(inc.updated),
        "creator": creator,
        "incident_status": status,
        "severity": inc.severity,
        "incident_type": inc.type,
        "incident_role_assignments": assignments,
        "custom_field_entries": entries,
        "incident_timestamp_values": stamp_values,
        "duration_metrics": metrics,
        "workload_minutes_total": workload,
        "workload_minutes_working": round(workload * 0.7, 1),
        "workload_minutes_late": round(workload * 0.2, 1),
        "workload_minutes_sleeping": round(workload * 0.1, 1),
    }
    org.io_incidents[inc.id] = record
    b.state.incidents[inc.id] = inc
    # Updates (status and severity changes), each by a person.
    statuses = {s["name"]: s for s in org.io_statuses}
    updaters = [p for p in (inc.lead, inc.reporter, inc.comms) if p] or inc.participants
    updates = []
    for k, (t, status_name, severity) in enumerate(inc.events):
        # One stream per update (and below, per part): rebuilding the incident after a mutation
        # must keep every existing id.
        rng = random.Random(f"{org.seed}:io-update:{inc.id}:{k}")
        up: Record = {
            "id": ulid(rng, t),
            "incident_id": inc.id,
            "created_at": iso_ms(t),
            "message": rng.choice(texts.UPDATE_MESSAGES) if rng.random() < 0.7 else None,
            "new_incident_status": statuses[status_name],
            "new_severity": severity,
            "updater": {"user": user_v2(rng.choice(updaters))},
        }
        if status_name == "Merged" and inc.merged_into:
            up["merged_into_incident_id"] = inc.merged_into
        updates.append(up)
    org.io_updates[inc.id] = updates
    # Attachments: the PagerDuty integration's link, plus other tools.
    rng = random.Random(f"{org.seed}:io-attachments:{inc.id}")
    atts = []
    if inc.link == "attachment" and inc.pd_id:
        atts.append(("pager_duty_incident", inc.pd_id, f"{b.web}/incidents/{inc.pd_id}", inc.name))
    if rng.random() < 0.15:
        key = f"OPS-{2000 + inc.number}"
        atts.append(("jira_issue", key, f"https://{org.company}.atlassian.net/browse/{key}", "Investigate"))
    if rng.random() < 0.15:
        sid = str(rng.randrange(10**9, 10**10))
        atts.append(
            (
                "sentry_issue",
                sid,
                f"https://{org.company}.sentry.io/issues/{sid}/",
                f"TimeoutError in {inc.services[0]['name']}",
            )
        )
    if rng.random() < 0.1:
        pr = str(rng.randrange(100, 9000))
        atts.append(
            (
                "github_pull_request",
                pr,
                f"https://github.com/{org.company}/platform/pull/{pr}",
                "Revert config change",
            )
        )
    org.io_attachments[inc.id] = [
        {
            "id": ulid(rng, inc.created + 60 + k),
            "incident_id": inc.id,
            "resource": {"external_id": ext, "permalink": link, "resource_type": kind, "title": title},
        }
        for k, (kind, ext, link, title) in enumerate(atts)
    ]
    _actions_and_follow_ups(b, inc)
    if b.state.deleted:  # deleted at the source by a mutation: a rebuild must not bring them back
        gone = b.state.deleted
        org.io_attachments[inc.id] = [a for a in org.io_attachments[inc.id] if a["id"] not in gone]
        org.io_actions = [x for x in org.io_actions if x["id"] not in gone]
        org.io_follow_ups = [x for x in org.io_follow_ups if x["id"] not in gone]
    return record


def _actions_and_follow_ups(b: Build, inc: IncidentPlan) -> None:
    org = b.org
    rng = random.Random(f"{org.seed}:io-actions:{inc.id}")
    if inc.category in ("triage", "declined"):
        return
    end = inc.resolved or inc.canceled or inc.merged or b.anchor - MIN
    for k in range(rng.choice((0, 0, 1, 1, 2, 3))):
        # Its id stays when a mutation resolves the incident (and the action gets completed).
        one = random.Random(f"{org.seed}:io-action:{inc.id}:{k}")
        action_id = ulid(one, inc.created + 60 * (k + 1))
        t = inc.created + (end - inc.created) * one.uniform(0.05, 0.6)
        who = one.choice(inc.participants)
        done = inc.category != "live" and one.random() < 0.8
        t_done = t + (end - t) * one.uniform(0.2, 1.0)
        org.io_actions.append(
            {
                "id": action_id,
                "incident_id": inc.id,
                "description": one.choice(texts.ACTION_DESCRIPTIONS),
                "status": "completed" if done else one.choice(("outstanding", "not_doing")),
                "assignee": user_v2(who),
                "creator": {"user": user_v2(inc.lead or inc.reporter)},
                "completed_at": iso_ms(t_done) if done else None,
                "created_at": iso_ms(t),
                "updated_at": iso_ms(t_done if done else t),
            }
        )
    if inc.category not in ("closed", "learning"):
        return
    priorities = b.state.follow_up_priorities
    for _ in range(rng.choice((0, 1, 1, 2, 3, 4))):
        t = (inc.resolved or inc.created) + rng.uniform(0.1, 30) * HOUR
        t = min(t, b.anchor - MIN)
        status = rng.choices(("outstanding", "completed", "not_doing", "deleted"), (35, 45, 12, 8))[0]
        t_done = min(t + lognorm(rng, 12 * DAY, 1.0), b.anchor - MIN)
        assignee = rng.choice(inc.participants) if rng.random() < 0.85 else None
        org.io_follow_ups.append(
            {
                "id": ulid(rng, t),
                "incident_id": inc.id,
                "title": rng.choice(texts.FOLLOW_UP_TITLES),
                "description": "",
                "status": status,
                "priority": rng.choice(priorities) if rng.random() < 0.8 else None,
                "assignee": user_v2(assignee),
                "assignee_team": None,
                "creator": {"user": user_v2(inc.lead or inc.reporter)},
                "labels": [],
                "external_issue_reference": None,
                "completed_at": iso_ms(t_done) if status == "completed" else None,
                "created_at": iso_ms(t),
                "updated_at": iso_ms(t_done if status != "outstanding" else t),
            }
        )
