"""Second wave, part one: incident.io teams, the catalog, catalog-backed and other custom fields,
post-mortem documents, and PagerDuty's mirrored teams; plus the rule that none of it moves first-wave data."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from sandbox_support import ANCHOR, incidentio_headers, pagerduty_headers
from test_sandbox_incidentio import _all_pages

from pipelines.sandbox import Organisation, generate_organisation
from pipelines.sandbox.generate import oncall, postmortems, teams
from tests.oracle import truth

NEW_FIELDS = {
    "Affected team",
    "Affected service",
    "Root cause",
    "Root cause notes",
    "Status page",
    "Customers affected",
}


def _get(http: httpx.Client, env: dict[str, str], path: str, **params: Any) -> httpx.Response:
    return http.get(env["INCIDENTIO_BASE_URL"] + path, params=params, headers=incidentio_headers(env))


def test_teams_listing_pages_and_members(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    listed = _all_pages(http, env, "/v3/teams", "teams", page_size=2)
    assert [t["id"] for t in listed] == [t["id"] for t in org.io_teams]
    assert 6 <= len(listed) <= 10
    for team in listed:
        assert set(team) == {"id", "name", "members", "catalog_entry"}
        assert set(team["catalog_entry"]) >= {"id", "name"}
        assert all(set(m) >= {"id", "name", "email"} for m in team["members"])
    per_person = Counter(m["email"] for t in listed for m in t["members"])
    assert set(per_person.values()) <= {1, 2} and 2 in per_person.values()
    assert len(per_person) == len(org.people)  # everyone is in one or two teams
    one = _get(http, env, f"/v3/teams/{listed[0]['id']}").json()["team"]
    assert one == listed[0]
    assert _get(http, env, "/v3/teams", page_size=251).status_code == 422


def test_teams_mirror_pagerduty_under_other_spellings(
    http: httpx.Client, env: dict[str, str], org: Organisation
) -> None:
    pd = http.get(env["PAGERDUTY_BASE_URL"] + "/teams", params={"limit": 2}, headers=pagerduty_headers(env))
    assert pd.status_code == 200 and pd.json()["more"] is True  # offset paging
    io_names = [t["name"] for t in org.io_teams]
    pd_names = [t["name"] for t in org.pd_teams]
    keys = {truth.team_key(n) for n in io_names}
    mirrored = [n for n in pd_names if truth.team_key(n) in keys]
    assert len(mirrored) == len(pd_names) - 1  # exactly one PagerDuty-only team
    assert any(n not in io_names for n in mirrored)  # matched only after trimming / lower-casing
    facts = truth.teams(org)
    assert len(facts) == len(io_names) + 1
    only_pd = [f for f in facts.values() if f.incidentio_team_id is None]
    assert len(only_pd) == 1 and only_pd[0].team_id == f"pagerduty:{only_pd[0].pagerduty_team_id}"
    # Some PagerDuty members of a mirrored team are not incident.io members: the union matters.
    assert any(
        f.pagerduty_team_id
        and f.incidentio_team_id
        and f.members
        > {m["email"].lower() for t in org.io_teams if t["id"] == f.team_id for m in t["members"]}
        for f in facts.values()
    )


def test_catalog_types_and_entries(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    types = _get(http, env, "/v3/catalog_types").json()["catalog_types"]
    by_name = {t["name"]: t for t in types}
    assert by_name["Team"]["is_team_type"] and not by_name["Service"]["is_team_type"]
    team_type = by_name["Team"]["id"]
    missing_type = _get(http, env, "/v3/catalog_entries", page_size=25)
    assert missing_type.status_code == 422 and missing_type.json()["errors"][0]["code"] == "is_required"
    missing_size = _get(http, env, "/v3/catalog_entries", catalog_type_id=team_type)
    assert (
        missing_size.status_code == 422 and missing_size.json()["errors"][0]["source"]["field"] == "page_size"
    )
    assert _get(http, env, "/v3/catalog_entries", catalog_type_id=team_type, page_size=251).status_code == 422
    assert _get(http, env, "/v3/catalog_entries", catalog_type_id="nope", page_size=5).status_code == 404
    entries = _all_pages(
        http, env, "/v3/catalog_entries", "catalog_entries", catalog_type_id=team_type, page_size=3
    )
    assert {e["id"] for e in entries} == {t["catalog_entry"]["id"] for t in org.io_teams}
    assert all(e["aliases"] and e["external_id"] for e in entries)
    services = _all_pages(
        http,
        env,
        "/v3/catalog_entries",
        "catalog_entries",
        catalog_type_id=by_name["Service"]["id"],
        page_size=250,
    )
    assert {e["external_id"] for e in services} == {s["id"] for s in org.pd_services}
    alias = services[0]["aliases"][0]
    found = _get(
        http,
        env,
        "/v3/catalog_entries",
        catalog_type_id=by_name["Service"]["id"],
        page_size=5,
        identifier=alias,
    )
    assert services[0]["id"] in [e["id"] for e in found.json()["catalog_entries"]]


def test_custom_fields_point_at_catalog_types_with_gaps(
    http: httpx.Client, env: dict[str, str], org: Organisation
) -> None:
    fields = {f["name"]: f for f in _get(http, env, "/v2/custom_fields").json()["custom_fields"]}
    types = {t["name"]: t["id"] for t in org.io_catalog_types}
    assert fields["Affected team"]["field_type"] == "multi_select"
    assert fields["Affected team"]["catalog_type_id"] == types["Team"]
    assert fields["Affected service"]["field_type"] == "single_select"
    assert fields["Affected service"]["catalog_type_id"] == types["Service"]
    assert {fields[n]["field_type"] for n in NEW_FIELDS} == {
        "multi_select",
        "single_select",
        "text",
        "link",
        "numeric",
    }
    values: dict[str, list[list[dict]]] = {n: [] for n in NEW_FIELDS}
    for incident in org.io_incidents.values():
        for entry in incident["custom_field_entries"]:
            if entry["custom_field"]["name"] in NEW_FIELDS:
                values[entry["custom_field"]["name"]].append(entry["values"])
    n = len(org.io_incidents)
    for name, per_incident in values.items():
        assert len(per_incident) == n  # every incident carries an entry, empty or not
        assert 0 < sum(1 for v in per_incident if v) < n, name  # filled for some, left empty for others
    assert any(len(v) == 2 for v in values["Affected team"])  # multi-select with two teams
    team_entries = {t["catalog_entry"]["id"] for t in org.io_teams}
    assert all(x["value_catalog_entry"]["id"] in team_entries for v in values["Affected team"] for x in v)
    numbers = [x["value_numeric"] for v in values["Customers affected"] for x in v]
    assert all(isinstance(x, str) and float(x) > 0 for x in numbers)


def test_attribution_uses_both_rules(org: Organisation) -> None:
    attributed = truth.incident_teams(org)
    rules = Counter(rule for teams_ in attributed.values() for rule in teams_.values())
    assert rules["custom_field"] and rules["pagerduty"]
    assert len(attributed) < len(org.io_incidents)  # some incidents have no team at all
    assert any(len(t) == 2 for t in attributed.values())
    pd_only = next(f.team_id for f in truth.teams(org).values() if f.incidentio_team_id is None)
    assert any(t.get(pd_only) == "pagerduty" for t in attributed.values())


def test_postmortem_documents(http: httpx.Client, env: dict[str, str], org: Organisation) -> None:
    docs = _all_pages(http, env, "/v1/postmortem_documents", "postmortem_documents", page_size=4)
    assert [d["id"] for d in docs] == [d["id"] for d in org.io_postmortems]
    assert _get(http, env, "/v1/postmortem_documents", page_size=251).status_code == 422
    assert "completed" in {d["status"] for d in docs}  # every status: see the default-size test
    assert {d["type"] for d in docs} == {"in_app", "external"}
    oldest = _get(
        http, env, "/v1/postmortem_documents", page_size=250, sort_by="created_at_oldest_first"
    ).json()
    assert [d["id"] for d in oldest["postmortem_documents"]] == [d["id"] for d in docs][::-1]
    one = docs[0]["incident_id"]
    only = _get(http, env, "/v1/postmortem_documents", page_size=250, incident_id=one).json()[
        "postmortem_documents"
    ]
    assert only and all(d["incident_id"] == one for d in only)
    facts = truth.postmortems(org)
    early = [f for f in facts.values() if f.earliest_completed_at and f.hours_to_completed is None]
    assert len(early) == 1  # completed before its incident was resolved
    serious = [
        i
        for i in org.io_incidents.values()
        if (i["severity"] or {}).get("rank", 0) >= 1
        and i["incident_status"]["category"] in ("learning", "closed")
    ]
    assert sum(1 for i in serious if i["id"] in facts) > 0.6 * len(serious)  # most serious ones


def test_postmortem_statuses_and_late_completions_in_default_size() -> None:
    org = generate_organisation("default", seed=42, anchor=ANCHOR)
    statuses = Counter((d["status"], d["type"]) for d in org.io_postmortems)
    assert {s for s, _ in statuses} == {"in_progress", "in_review", "completed"}
    hours = [f.hours_to_completed for f in truth.postmortems(org).values() if f.hours_to_completed]
    assert max(hours) > 30 * 24  # some written long after resolution


def _first_wave(org: Organisation) -> dict[str, Any]:
    """The first-wave stores, with the second-wave custom fields taken out of incidents."""
    incidents = {
        k: {
            **r,
            "custom_field_entries": [
                e for e in r["custom_field_entries"] if e["custom_field"]["name"] not in NEW_FIELDS
            ],
        }
        for k, r in org.io_incidents.items()
    }
    return {
        "people": org.people,
        "io_users": org.io_users,
        "io_incidents": incidents,
        "io_updates": org.io_updates,
        "io_attachments": org.io_attachments,
        "io_actions": org.io_actions,
        "io_follow_ups": org.io_follow_ups,
        "io_custom_fields": [f for f in org.io_custom_fields if f["name"] not in NEW_FIELDS],
        "slack_users": org.slack_users,
        "slack_channels": org.slack_channels,
        "slack_messages": {k: (log.top, log.threads) for k, log in org.slack_logs.items()},
        "zoom_users": org.zoom_users,
        "zoom_participants": {k: i.participants for k, i in org.zoom_instances.items()},
        "pd_teams": org.pd_teams,
        "pd_users": org.pd_users,
        "pd_incidents": org.pd_incidents,
        "pd_log_entries": org.pd_log_entries,
    }


def test_second_wave_leaves_first_wave_data_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each second-wave section draws from its own streams: without them, every first-wave record is the
    same, before and after mutations."""
    full = generate_organisation("small", seed=42, anchor=ANCHOR)
    full_steps = [full.mutate(s) for s in (1, 2)]
    monkeypatch.setattr(teams, "add_catalog", lambda b: None)
    monkeypatch.setattr(postmortems, "add_postmortems", lambda b: None)
    monkeypatch.setattr(oncall, "add_oncall", lambda b: None)
    bare = generate_organisation("small", seed=42, anchor=ANCHOR)
    assert not bare.io_teams and not bare.io_escalations
    bare_steps = [bare.mutate(s) for s in (1, 2)]
    assert _first_wave(full) == _first_wave(bare)
    for a, b in zip(full_steps, bare_steps, strict=True):
        assert a.pop("resolved_escalation") is not None and b.pop("resolved_escalation") is None
        assert a == b
