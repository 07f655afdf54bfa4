"""Zoom: the account users, each incident call's past instances and their participant rows."""

from __future__ import annotations

import random
from datetime import datetime

from pipelines.sandbox import texts
from pipelines.sandbox.generate.common import (
    DAY,
    HOUR,
    MIN,
    Build,
    lognorm,
)
from pipelines.sandbox.ids import (
    iso_s,
    token_like,
    zoom_uuid,
)
from pipelines.sandbox.model import (
    IncidentPlan,
    Person,
    Record,
    ZoomInstance,
)


def add_users(b: Build) -> None:
    """The Zoom account's users: the people who have Zoom."""
    rng = b.rng("zoom-users")
    users: list[Record] = []
    for p in b.org.people:
        if not p.zoom_id:
            continue
        users.append(
            {
                "id": p.zoom_id,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "display_name": p.name,
                "email": p.zoom_email,
                "type": 2,
                "pmi": rng.randrange(2_000_000_000, 9_999_999_999),
                "timezone": p.timezone,
                "verified": 1,
                "dept": "Engineering",
                "user_created_at": iso_s(b.start - 300 * DAY),
                "created_at": iso_s(b.start - 300 * DAY),
                "last_login_time": iso_s(b.anchor - rng.uniform(1, 20) * DAY),
                "last_client_version": "6.2.5.5060(mac)",
                "group_ids": [],
                "im_group_ids": [],
                "role_id": "2",
                "status": "active",
                "employee_unique_id": token_like(rng, 22),
                "language": "en-US",
                "user_type": "Licensed",
            }
        )
    b.org.zoom_users = users


def add_calls(b: Build, incs: list[IncidentPlan]) -> None:
    """The past instances of every incident's meeting, with their participant rows and planted traps."""
    rng = b.rng("zoom")
    instances: list[ZoomInstance] = []
    in_window: list[ZoomInstance] = []
    for inc in incs:
        if not inc.meeting_id:
            continue
        host = next(
            (p for p in (inc.lead, inc.reporter, *inc.participants) if p and p.zoom_id),
            b.org.people[0],
        )
        topic = f"INC-{inc.number} bridge"

        def add(
            s: float,
            e: float,
            n: int,
            own: bool,
            inc: IncidentPlan = inc,
            host: Person = host,
            topic: str = topic,
        ) -> None:
            if e >= b.anchor - 60 or e - s < 60:
                return  # still running (or a non-call): Zoom lists ended instances only
            zi = ZoomInstance(
                uuid=zoom_uuid(rng),
                meeting_id=inc.meeting_id or 0,
                start=s,
                end=e,
                topic=topic,
                host_id=host.zoom_id or "",
                host_email=host.zoom_email,
                host_name=host.name,
                participants=[],
                incident_id=inc.id if own else None,
            )
            zi.participants = _participants(b, rng, inc, host, s, e, n)
            instances.append(zi)
            if own and len(zi.participants) >= 2:
                in_window.append(zi)

        rank = inc.severity["rank"] if inc.severity else 0
        base_n = {0: 3, 1: 5, 2: 8}[max(rank, 0)]
        s1 = inc.reported + rng.uniform(1, 15) * MIN
        end_cap = inc.resolved or (b.anchor - 60)
        e1 = min(s1 + min(lognorm(rng, 50 * MIN, 0.7), 5 * HOUR), max(end_cap, s1 + 10 * MIN))
        n1 = 1 if rng.random() < 0.05 else max(2, round(base_n * rng.uniform(0.6, 1.4)))
        add(s1, e1, n1, True)
        window_end = inc.window_end or b.anchor
        if rng.random() < 0.2 and e1 + HOUR < window_end:
            s2 = rng.uniform(e1 + 30 * MIN, min(window_end, e1 + 8 * HOUR))
            add(s2, s2 + lognorm(rng, 30 * MIN, 0.5), max(2, n1 // 2), True)
        if rng.random() < 0.08:  # the same meeting id reused for something unrelated, days away
            s3 = (
                inc.reported - rng.uniform(3, 40) * DAY
                if rng.random() < 0.5
                else window_end + rng.uniform(3, 40) * DAY
            )
            add(s3, s3 + rng.uniform(15, 45) * MIN, 2, False)
    _guarantee_traps(b, rng, incs, instances, in_window)
    _plant_row_shapes(b, in_window)
    # UUIDs that start with "/" or contain "//" must be double-encoded by clients: plant a few.
    k = max(2, len(in_window) // 40)
    for zi in in_window[:k]:
        zi.uuid = "/" + zi.uuid[1:]
    for zi in in_window[k : 2 * k]:
        zi.uuid = zi.uuid[:7] + "//" + zi.uuid[9:]
    for zi in instances:
        b.org.zoom_instances[zi.uuid] = zi
        b.org.zoom_meetings.setdefault(zi.meeting_id, []).append(zi)
    for lst in b.org.zoom_meetings.values():
        lst.sort(key=lambda z: z.start)


def _guarantee_traps(
    b: Build,
    rng: random.Random,
    incs: list[IncidentPlan],
    instances: list[ZoomInstance],
    in_window: list[ZoomInstance],
) -> None:
    """Every dataset, however small, holds a one-person call, a guest, a rejoin and an instance outside
    its incident's window. (The first few in-window instances are left for the odd UUIDs.)"""
    spare = in_window[8:] or in_window[-1:]
    if spare and not any(len(z.participants) == 1 for z in instances):
        z = spare[-1]
        z.participants = z.participants[:1]
        in_window.remove(z)
        spare = in_window[8:] or in_window[-1:]
    if spare and not any(r["user_email"] == "" and not r["id"] for z in instances for r in z.participants):
        z = spare[0]
        join = z.start + (z.end - z.start) / 3
        z.participants.append(
            dict(
                z.participants[-1],
                id="",
                name="Guest Phone",
                user_email="",
                internal_user=False,
                user_id=str(rng.randrange(40_000_000, 50_000_000)),
                join_time=iso_s(join),
                leave_time=iso_s(join + 300),
                duration=300,
            )
        )
    rejoined = any(
        len({r["user_id"] for r in z.participants if r["id"] == rid and r["status"] == "in_meeting"}) > 1
        for z in instances
        for rid in {r["id"] for r in z.participants if r["id"]}
    )
    if spare and not rejoined:
        z = max(spare, key=lambda x: len(x.participants))
        row = next((r for r in z.participants[1:] if r["id"]), z.participants[0])
        rejoin, left = iso_s(z.end - 240), iso_s(z.end - 60)
        z.participants.append(
            dict(row, user_id=str(int(row["user_id"]) + 7), join_time=rejoin, leave_time=left, duration=180)
        )
        row.update(leave_time=iso_s(z.end - 300))
        row["duration"] = int(z.end - 300) - int(datetime.fromisoformat(row["join_time"]).timestamp())
        if row["duration"] < 0:  # it had joined late: keep it one short row
            row.update(join_time=iso_s(z.end - 400), duration=100)
    if in_window and not any(z.incident_id is None for z in instances):
        z = in_window[-1]
        start = z.start - 12 * DAY
        instances.append(
            ZoomInstance(
                uuid=zoom_uuid(rng),
                meeting_id=z.meeting_id,
                start=start,
                end=start + 20 * MIN,
                topic=z.topic,
                host_id=z.host_id,
                host_email=z.host_email,
                host_name=z.host_name,
                participants=[],
                incident_id=None,
            )
        )
        for k, r in enumerate(z.participants[:2]):
            join, leave = start + 30 * k, start + 1200
            instances[-1].participants.append(
                dict(
                    r,
                    user_id=str(int(r["user_id"]) + 1000),
                    join_time=iso_s(join),
                    leave_time=iso_s(leave),
                    duration=int(leave) - int(join),
                )
            )
    for z in instances:
        z.participants.sort(key=lambda r: (r["join_time"], r["user_id"]))


def _participants(
    b: Build, rng: random.Random, inc: IncidentPlan, host: Person, s: float, e: float, n: int
) -> list[Record]:
    others = [p for p in inc.participants if p is not host]
    people = [host, *rng.sample(others, min(len(others), n - 1))]
    rows: list[Record] = []
    user_id = rng.randrange(16_000_000, 40_000_000)

    def row(name: str, zid: str, email: str, join: float, leave: float, internal: bool) -> None:
        nonlocal user_id
        user_id += rng.randrange(1, 2048)
        rows.append(
            {
                "id": zid,
                "name": name,
                "user_id": str(user_id),
                "registrant_id": "",
                "user_email": email,
                "join_time": iso_s(join),
                "leave_time": iso_s(leave),
                "duration": int(leave) - int(join),
                "failover": False,
                "status": "in_meeting",
                "internal_user": internal,
            }
        )

    for k, p in enumerate(people):
        join = s if k == 0 else min(s + rng.expovariate(1 / 240), e - 60)
        leave = e if k == 0 or rng.random() < 0.5 else max(join + 60, e - rng.expovariate(1 / 300))
        zid, email = (p.zoom_id, p.zoom_email) if p.zoom_id else ("", "")
        if k > 0 and leave - join > 600 and rng.random() < 0.12:  # dropped and rejoined: a second row
            mid = join + (leave - join) * rng.uniform(0.2, 0.6)
            back = mid + rng.uniform(10, 240)
            row(p.name, zid, email, join, mid, bool(p.zoom_id))
            row(p.name, zid, email, back, max(leave, back + 30), bool(p.zoom_id))
        else:
            row(p.name, zid, email, join, leave, bool(p.zoom_id))
    if len(people) > 1 and rng.random() < 0.12:
        join = rng.uniform(s, max(s + 1, e - 120))
        row(
            rng.choice(("Guest Phone", "Vendor Support", "iPhone")),
            "",
            "",
            join,
            min(e, join + rng.uniform(60, 1800)),
            False,
        )
    rows.sort(key=lambda r: (r["join_time"], r["user_id"]))
    return rows


# The share of incident calls (two or more participants) holding each row shape beyond plain joins:
# someone admitted from the waiting room (a waiting row, then the meeting row), an outsider who waited
# and was never let in, an outside guest with their own company's email, a phone dial-in (no `user_id`,
# no email), and a guest whose email Zoom shows masked.
ROW_SHAPES = {
    "waiting_room": 0.15,
    "never_admitted": 0.05,
    "outside_guest": 0.1,
    "dial_in": 0.08,
    "masked_email": 0.05,
}
WAITING = "in_waiting_room"


def _plant_row_shapes(b: Build, calls: list[ZoomInstance]) -> None:
    """Add the `ROW_SHAPES` to some calls, each call from its own stream (the plain rows stay the same),
    then make sure every shape is somewhere, in the busiest call that has none yet."""
    planted: set[str] = set()
    for z in calls:
        rng = random.Random(f"{b.org.seed}:zoom-shapes:{z.meeting_id}:{int(z.start)}")
        kinds = {k for k, share in ROW_SHAPES.items() if rng.random() < share}
        planted |= _add_rows(rng, z, kinds)
    missing = set(ROW_SHAPES) - planted
    spare = [z for z in calls[8:] if len(z.participants) > 2] or calls[-1:]
    if missing and spare:
        z = max(spare, key=lambda x: (len(x.participants), x.start))
        _add_rows(random.Random(f"{b.org.seed}:zoom-shapes-missing"), z, missing)


def _add_rows(rng: random.Random, z: ZoomInstance, kinds: set[str]) -> set[str]:
    """Rows of the `kinds` added to call `z`, in time order with the others; returns what was added."""
    rows = z.participants
    s, e = z.start, z.end
    added: set[str] = set()

    def outsider(name: str, email: str, join: float, leave: float, status: str = "in_meeting") -> Record:
        row: Record = {
            "id": "",
            "name": name,
            "user_id": str(rng.randrange(50_000_000, 60_000_000)),
            "registrant_id": "",
            "user_email": email,
            "join_time": iso_s(join),
            "leave_time": iso_s(leave),
            "duration": int(leave) - int(join),
            "failover": False,
            "status": status,
            "internal_user": False,
        }
        rows.append(row)
        return row

    if "waiting_room" in kinds:
        # A waiting row ends when its person is admitted: the meeting row that starts then.
        admitted = [r for r in rows[1:] if r["id"] and r["status"] == "in_meeting"]
        taken = {int(r["user_id"]) for r in rows if "user_id" in r}
        for r in rng.sample(admitted, min(len(admitted), rng.randint(1, 2))):
            user_id = int(r["user_id"]) + 1
            while user_id in taken:  # Zoom gives each row of a call its own participant id
                user_id += 1
            taken.add(user_id)
            join = iso_to_ts(r["join_time"])
            wait_start = max(s + 1, join - rng.uniform(30, 420))
            if wait_start < join - 5:
                rows.append(
                    dict(
                        r,
                        user_id=str(user_id),
                        join_time=iso_s(wait_start),
                        leave_time=r["join_time"],
                        duration=int(join) - int(wait_start),
                        status=WAITING,
                    )
                )
                added.add("waiting_room")
    if "never_admitted" in kinds:
        t = rng.uniform(s + 60, max(s + 61, e - 300))
        first, last, domain, _ = rng.choice(texts.OUTSIDERS)
        outsider(f"{first} {last}", f"{first}.{last}@{domain}".lower(), t, t + rng.uniform(60, 600), WAITING)
        added.add("never_admitted")
    if "outside_guest" in kinds:
        t = rng.uniform(s, max(s + 1, e - 300))
        first, last, domain, _ = rng.choice(texts.OUTSIDERS)
        outsider(f"{first} {last}", f"{first}.{last}@{domain}".lower(), t, min(e, t + rng.uniform(300, 3600)))
        added.add("outside_guest")
    if "dial_in" in kinds:
        t = rng.uniform(s, max(s + 1, e - 300))
        row = outsider(f"+1 555 *** **{rng.randrange(10, 99)}", "", t, min(e, t + rng.uniform(300, 2400)))
        del row["user_id"]  # callers by phone get no participant id
        added.add("dial_in")
    if "masked_email" in kinds:
        t = rng.uniform(s, max(s + 1, e - 300))
        local = rng.choice(("j", "m", "s", "k")) + "*" * rng.randint(3, 7)
        outsider("Guest", f"{local}@gmail.com", t, min(e, t + rng.uniform(120, 1200)))
        added.add("masked_email")
    rows.sort(key=lambda r: (r["join_time"], r.get("user_id", "")))
    return added


def iso_to_ts(value: str) -> float:
    """Unix seconds of an ISO time the ids module wrote (`...Z`)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
