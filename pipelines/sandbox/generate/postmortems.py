"""incident.io post-mortem documents (second wave): most serious resolved incidents get one.

Status follows the incident's stage (a closed incident's document is mostly completed, one still in
learning mostly in progress or in review). Some are written long after resolution, a few incidents have
two documents, and exactly one document was completed before its incident was resolved (the API has no
completion time: a completed document's `updated_at` is when it was last touched). Each incident draws
from its own stream, so nothing else in the organisation moves.
"""

from __future__ import annotations

import random

from pipelines.sandbox.generate.common import DAY, HOUR, Build, lognorm
from pipelines.sandbox.ids import iso_ms, ulid
from pipelines.sandbox.model import IncidentPlan, Person, Record

# Chance that a resolved incident of each severity rank gets a document (no severity counts as rank 0).
DOCUMENT_CHANCE = {0: 0.12, 1: 0.85, 2: 0.95}
EXTERNAL_SHARE = 0.2
LATE_SHARE = 0.12  # completed 30-90 days after resolution
SECOND_DOCUMENT = 0.04


def _editor(p: Person) -> Record:
    return {
        "id": p.incidentio_id,
        "name": p.name,
        "email": p.email,
        "role": "unset",
        "slack_user_id": p.slack_id,
    }


def add_postmortems(b: Build) -> None:
    """Fill `org.io_postmortems` (newest first by `created_at`) from the incident plans."""
    org = b.org
    docs: list[Record] = []
    early_done = False
    latest = b.anchor - HOUR
    for inc in sorted(b.state.incidents.values(), key=lambda i: i.created):
        resolved = inc.resolved_value if inc.resolved_value is not None else inc.resolved
        if resolved is None or inc.category not in ("learning", "closed") or inc.mode in ("test", "tutorial"):
            continue
        rng = random.Random(f"{org.seed}:io-postmortem:{inc.id}")
        rank = (inc.severity or {}).get("rank", 0)
        if rng.random() >= DOCUMENT_CHANCE.get(rank, 0.9):
            continue
        # The one document completed before its incident was resolved: the first eligible closed incident
        # whose "Resolved at" is the real resolution (not hand-edited).
        early = not early_done and inc.category == "closed" and inc.resolved_value == inc.resolved
        for k in range(2 if rng.random() < SECOND_DOCUMENT else 1):
            docs.append(_document(b, rng, inc, resolved, k, early and k == 0, latest))
        early_done = early_done or early
    docs.sort(key=lambda d: (d["created_at"], d["id"]), reverse=True)
    org.io_postmortems = docs


def _document(
    b: Build, rng: random.Random, inc: IncidentPlan, resolved: float, k: int, early: bool, latest: float
) -> Record:
    org = b.org
    if early:
        status = "completed"
        created = resolved - 3 * HOUR
        updated = resolved - 40 * 60
    else:
        if inc.category == "closed":
            status = rng.choices(("completed", "in_review", "in_progress"), (80, 10, 10))[0]
        else:
            status = rng.choices(("in_progress", "in_review", "completed"), (50, 40, 10))[0]
        created = min(resolved + rng.uniform(1 * HOUR, 3 * DAY) + k * DAY, latest - DAY)
        if status == "completed":
            took = rng.uniform(30, 90) * DAY if rng.random() < LATE_SHARE else lognorm(rng, 5 * DAY, 0.8)
        else:
            took = rng.uniform(0.1, 4) * DAY
        updated = min(created + took, latest)
    doc_id = ulid(rng, created)
    external = rng.random() < EXTERNAL_SHARE
    editors = [_editor(p) for p in (inc.lead, inc.reporter) if p is not None]
    return {
        "id": doc_id,
        "incident_id": inc.id,
        "title": f"INC-{inc.number}: {inc.name}",
        "status": status,
        "type": "external" if external else "in_app",
        "document_url": f"https://app.incident.io/{org.company}/incidents/{inc.number}/post-mortems/{doc_id}",
        "exported_urls": ([f"https://docs.google.com/document/d/{doc_id.lower()}/edit"] if external else []),
        "editors": list({e["id"]: e for e in editors}.values()),
        "created_at": iso_ms(created),
        "updated_at": iso_ms(updated),
    }
