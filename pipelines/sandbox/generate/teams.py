"""incident.io teams, the catalog and the catalog-backed custom fields (second wave).

Teams live in incident.io's catalog: the team type's entries are the teams, `GET /v3/teams` lists them
with their members. Most PagerDuty teams are mirrored here under a slightly different spelling (case,
a trailing space) so that only a trimmed, lower-cased comparison matches them; the last PagerDuty team
has no incident.io twin, and some incident.io teams exist only here. PagerDuty's own teams, users and
incidents are left exactly as `pagerduty.add_config` built them.

Everything here draws from its own random streams (`incidentio-teams`, and one per incident for its field
values), so adding it shifts no other record of the organisation.
"""

from __future__ import annotations

import random
from typing import Any

from pipelines.sandbox.generate.common import DAY, Build, lognorm
from pipelines.sandbox.ids import iso_ms, token_like, ulid
from pipelines.sandbox.model import IncidentPlan, Person, Record

# How incident.io spells its twin of each PagerDuty team (equal once trimmed and lower-cased).
MIRROR_SPELLINGS = {
    "Payments": "Payments",
    "Core Platform": "core platform",
    "Growth": "Growth ",
    "Data": "DATA",
    "Identity": "identity",
}
# Teams only incident.io knows; enough are used to reach 6-10 teams in every size.
IO_ONLY_TEAMS = ("Mobile", "Site Reliability", "Security", "Developer Experience")
ROOT_CAUSES = ("Deploy", "Config change", "Capacity", "Third party", "Hardware", "Unknown")
ROOT_CAUSE_NOTES = (
    "A config flag was flipped for every region at once.",
    "Connection pool exhausted after a traffic spike.",
    "Upstream provider degraded; retries amplified the load.",
    "Schema migration locked a hot table.",
    "Certificate rotation missed one load balancer.",
)
# Share of incidents with each new field filled (the rest are left empty, as people do).
FILL = {
    "team": 0.82,
    "team_of_pd_only": 0.4,
    "second_team": 0.15,
    "service": 0.85,
    "root_cause": 0.55,
    "notes": 0.35,
}
FILL.update({"status_page": 0.15, "customers": 0.4})


def _member(p: Person) -> Record:
    return {"id": p.incidentio_id, "name": p.name, "email": p.email, "slack_user_id": p.slack_id}


def add_catalog(b: Build) -> None:
    """Catalog types (Team, Service, and a Product type no field uses), their entries, the teams with their
    members, and the new custom fields (appended after the first-wave ones)."""
    org = b.org
    rng = b.rng("incidentio-teams")
    t0 = b.start - 250 * DAY
    created = iso_ms(t0)

    def type_record(name: str, icon: str, color: str, category: str, attributes: list[Record]) -> Record:
        return {
            "id": ulid(rng, t0),
            "name": name,
            "description": f"Every {name.lower()} in {org.company}",
            "type_name": f'Custom["{name}"]',
            "engine_resource_type": f'CatalogEntry["Custom[\\"{name}\\"]"]',
            "icon": icon,
            "color": color,
            "categories": [category],
            "annotations": {},
            "is_editable": True,
            "is_team_type": name == "Team",
            "ranked": False,
            "use_name_as_identifier": True,
            "required_integrations": [],
            "owning_team_ids": [],
            "schema": {"version": 1, "attributes": attributes},
            "created_at": created,
            "updated_at": created,
        }

    def attribute(name: str, type_: str) -> Record:
        return {"id": ulid(rng, t0), "name": name, "type": type_, "array": False, "mode": ""}

    team_type = type_record("Team", "users", "blue", "team", [attribute("Slack channel", "SlackChannel")])
    owner_attr, tier_attr = attribute("Owner", 'Custom["Team"]'), attribute("Tier", "String")
    service_type = type_record("Service", "server", "green", "service", [owner_attr, tier_attr])
    product_type = type_record("Product", "store", "violet", "product", [])

    def entry(kind: Record, name: str, rank: int, **kw: Any) -> Record:
        return {
            "id": ulid(rng, t0 + rank),
            "catalog_type_id": kind["id"],
            "name": name,
            "aliases": kw.pop("aliases", []),
            "external_id": kw.pop("external_id", None),
            "rank": rank,
            "attribute_values": kw.pop("attribute_values", {}),
            "archived_at": None,
            "created_at": created,
            "updated_at": created,
        }

    # Teams: the mirrors of every PagerDuty team but the last, then incident.io-only teams.
    mirrored = org.pd_teams[:-1]
    names: list[tuple[str, Record | None]] = [
        (MIRROR_SPELLINGS.get(t["name"], t["name"].lower()), t) for t in mirrored
    ]
    names += [(n, None) for n in IO_ONLY_TEAMS[: max(3, 8 - len(mirrored))]]
    team_entries: list[Record] = []
    teams: list[Record] = []
    for rank, (name, pd_team) in enumerate(names):
        slug = name.strip().lower().replace(" ", "-")
        e = entry(
            team_type,
            name,
            rank,
            aliases=[slug, f"team-{slug}"],
            external_id=f"team-{slug}",
            attribute_values={
                team_type["schema"]["attributes"][0]["id"]: {"value": {"literal": f"#team-{slug}"}}
            },
        )
        team_entries.append(e)
        team = {
            "id": ulid(rng, t0 + 1000 + rank),
            "name": name,
            "members": [],
            "catalog_entry": {"id": e["id"], "name": e["name"], "external_id": e["external_id"]},
        }
        teams.append(team)
        if pd_team is not None:
            b.state.io_team_by_pd_team[pd_team["id"]] = team
    io_only = [t for t in teams if t not in b.state.io_team_by_pd_team.values()]

    # Members: a PagerDuty user mostly joins the twin of their PagerDuty team (some never do, so the
    # union of both tools' memberships matters); everyone else an incident.io-only team; a fifth of
    # the people join a second team.
    pd_team_of = {u["id"]: u["teams"][0]["id"] for u in org.pd_users}
    for p in org.people:
        twin = b.state.io_team_by_pd_team.get(pd_team_of.get(p.pagerduty_id or "", ""))
        first = twin if twin is not None and rng.random() < 0.85 else rng.choice(io_only)
        first["members"].append(_member(p))
        if rng.random() < 0.2:
            second = rng.choice([t for t in teams if t is not first])
            second["members"].append(_member(p))
    for t in teams:
        t["members"].sort(key=lambda m: m["name"])

    # Services: one entry per PagerDuty service, owned by its team's twin (or an incident.io-only team).
    service_entries: list[Record] = []
    for rank, svc in enumerate(org.pd_services):
        owner = b.state.io_team_by_pd_team.get(svc["teams"][0]["id"]) or io_only[rank % len(io_only)]
        e = entry(
            service_type,
            svc["name"],
            rank,
            aliases=[svc["name"].replace("-", " "), svc["name"].split("-")[0]],
            external_id=svc["id"],  # synced from PagerDuty: its service id
            attribute_values={
                owner_attr["id"]: {"value": {"literal": owner["catalog_entry"]["id"]}},
                tier_attr["id"]: {"value": {"literal": str(1 + rank % 3)}},
            },
        )
        service_entries.append(e)
        b.state.service_entries[svc["name"]] = e
    products = [
        entry(product_type, n, k, external_id=f"prod-{k + 1}")
        for k, n in enumerate(("Storefront", "Mobile app", "Partner API"))
    ]
    for kind, entries in (
        (team_type, team_entries),
        (service_type, service_entries),
        (product_type, products),
    ):
        kind["estimated_count"] = len(entries)
        org.io_catalog_entries[kind["id"]] = sorted(entries, key=lambda e: e["id"])
    org.io_catalog_types = [team_type, service_type, product_type]
    org.io_teams = sorted(teams, key=lambda t: t["id"])

    # The new custom fields, after the first-wave ones (whose order and ids stay).
    def field(name: str, description: str, field_type: str, catalog_type: Record | None = None) -> Record:
        f: Record = {
            "id": ulid(rng, t0 + 2000),
            "name": name,
            "description": description,
            "field_type": field_type,
            "options": [],
            "created_at": created,
            "updated_at": created,
            "required": "never",
            "show_before_creation": False,
            "show_before_closure": False,
            "show_before_update": False,
        }
        if catalog_type is not None:
            f["catalog_type_id"] = catalog_type["id"]
        return f

    root = field("Root cause", "What kind of change caused it", "single_select")
    root["options"] = [
        {"id": ulid(rng, t0), "custom_field_id": root["id"], "value": v, "sort_key": k * 10}
        for k, v in enumerate(ROOT_CAUSES)
    ]
    org.io_custom_fields += [
        field("Affected team", "Which teams were affected", "multi_select", team_type),
        field("Affected service", "The service at fault", "single_select", service_type),
        root,
        field("Root cause notes", "What happened, in a sentence", "text"),
        field("Status page", "The public status page post", "link"),
        field("Customers affected", "How many customers noticed", "numeric"),
    ]


def embedded_entry(e: Record) -> Record:
    """A catalog entry as an incident's custom field value shows it (`value_catalog_entry`)."""
    return {"id": e["id"], "name": e["name"], "aliases": e["aliases"], "external_id": e["external_id"]}


def field_entries(b: Build, inc: IncidentPlan) -> list[Record]:
    """The incident's entries for the second-wave custom fields (empty `values` for a field left empty).

    Drawn from the incident's own stream and from what never changes about it (its id and services), so a
    rebuild after a mutation gives the same values. Empty for an organisation without the catalog."""
    org = b.org
    fields = {f["name"]: f for f in org.io_custom_fields}
    if "Affected team" not in fields:
        return []
    rng = random.Random(f"{org.seed}:io-fields-2:{inc.id}")
    teams = org.io_teams
    svc = inc.services[0]
    primary = b.state.io_team_by_pd_team.get(svc["teams"][0]["id"])
    fill = FILL["team"]
    if primary is None:  # the PagerDuty-only team's service: people pick some team less often
        primary = teams[rng.randrange(len(teams))]
        fill = FILL["team_of_pd_only"]
    team_values: list[Record] = []
    if rng.random() < fill:
        chosen = [primary]
        if rng.random() < FILL["second_team"]:
            chosen.append(rng.choice([t for t in teams if t is not primary]))
        by_entry = {e["id"]: e for es in org.io_catalog_entries.values() for e in es}
        team_values = [
            {"value_catalog_entry": embedded_entry(by_entry[t["catalog_entry"]["id"]])} for t in chosen
        ]
    service = b.state.service_entries[svc["name"]]
    service_values = (
        [{"value_catalog_entry": embedded_entry(service)}] if rng.random() < FILL["service"] else []
    )
    root = fields["Root cause"]
    root_values = [{"value_option": rng.choice(root["options"])}] if rng.random() < FILL["root_cause"] else []
    notes = [{"value_text": rng.choice(ROOT_CAUSE_NOTES)}] if rng.random() < FILL["notes"] else []
    status_page = (
        [{"value_link": f"https://status.{org.company}.example/incidents/{token_like(rng, 12).lower()}"}]
        if rng.random() < FILL["status_page"]
        else []
    )
    customers: list[Record] = []
    if rng.random() < FILL["customers"]:
        n = lognorm(rng, 120, 1.4)
        # The API sends numbers as strings; a few carry decimals (an estimate).
        customers = [{"value_numeric": f"{n:.1f}" if rng.random() < 0.1 else str(max(1, round(n)))}]
    return [
        {"custom_field": fields["Affected team"], "values": team_values},
        {"custom_field": fields["Affected service"], "values": service_values},
        {"custom_field": root, "values": root_values},
        {"custom_field": fields["Root cause notes"], "values": notes},
        {"custom_field": fields["Status page"], "values": status_page},
        {"custom_field": fields["Customers affected"], "values": customers},
    ]
