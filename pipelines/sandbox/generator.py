"""A deterministic synthetic organisation, coherent across incident.io, Slack, Zoom and PagerDuty.

`generate_organisation(size, seed, anchor)` returns the same data for the same arguments (credentials
aside, which are random per instance). The data covers the year before `anchor`: people with accounts in
every tool (each tool with its own ids, some emails spelled with another case), incidents with their
timelines, updates, roles, attachments, follow-ups, their Slack channels, Zoom calls and PagerDuty pages,
plus PagerDuty noise unrelated to any incident. The traps the pipeline must handle are planted on
purpose (see `pipelines/sandbox/README.md`). The records are built per tool in `generate/`; the changes
between two syncs are `mutations.mutate(org, step)`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.sandbox.generate import (
    incidentio,
    oncall,
    organisation,
    pagerduty,
    postmortems,
    slack,
    teams,
    zoom,
)
from pipelines.sandbox.generate.common import SIZES, Build, SizeSpec
from pipelines.sandbox.model import Credentials, Organisation
from pipelines.sandbox.mutations import mutate

__all__ = ["SIZES", "SizeSpec", "generate_organisation", "mutate"]


def generate_organisation(
    size: str = "small", seed: int = 42, anchor: datetime | None = None
) -> Organisation:
    """Build the organisation for (size, seed, anchor); `anchor` defaults to today 00:00 UTC.

    Raises `ValueError` for a size not in `SIZES`. The order below matters: each step reads what the
    previous ones built (ids, rotations, plans), and changing it changes the data."""
    if size not in SIZES:
        raise ValueError(f"unknown sandbox size {size!r}: choose one of {', '.join(SIZES)}")
    if anchor is None:
        anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    elif anchor.tzinfo is None:
        anchor = anchor.replace(tzinfo=UTC)
    org = Organisation(
        size=size,
        seed=seed,
        anchor=anchor.astimezone(UTC),
        credentials=Credentials.random(),
        people=[],
        mutator=mutate,
    )
    b = Build(org, SIZES[size])
    organisation.add_people(b)
    incidentio.add_config(b)
    pagerduty.add_config(b)
    slack.add_users(b)
    zoom.add_users(b)
    # Second wave: the catalog (teams, services) and its custom fields must exist before the incidents;
    # each draws from its own streams, so nothing above or below shifts.
    teams.add_catalog(b)
    incs = organisation.plan_incidents(b)
    pds = pagerduty.plan_pages(b, incs)
    for pd in pds:
        pagerduty.add_incident(b, pd)
    for inc in incs:
        incidentio.add_incident(b, inc)
    slack.add_channels(b, incs)
    zoom.add_calls(b, incs)
    postmortems.add_postmortems(b)
    oncall.add_oncall(b)
    org.data_time = b.anchor
    b.state.next_incident_number = len(incs) + 1
    b.state.next_pd_number = max((p.number for p in pds), default=1000) + 1
    org.version += 1
    return org
