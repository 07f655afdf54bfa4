"""The oracle's subtle rules on tiny hand-made cases: if the oracle were wrong here, every end-to-end
comparison built on it would be wrong with it (docs/metrics.md, on-call section)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.oracle import truth


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_overlapping_and_touching_shifts_count_once() -> None:
    spans = [
        (at("2026-03-02 09:00"), at("2026-03-03 09:00")),  # a daily primary ...
        (at("2026-03-02 09:00"), at("2026-03-09 09:00")),  # ... under a weekly secondary
        (at("2026-03-09 09:00"), at("2026-03-09 21:00")),  # touching: merges
        (at("2026-03-10 00:00"), at("2026-03-10 00:00")),  # empty: dropped
        (at("2026-03-11 00:00"), at("2026-03-11 02:00")),
    ]
    assert truth.union_spans(spans) == [
        (at("2026-03-02 09:00"), at("2026-03-09 21:00")),
        (at("2026-03-11 00:00"), at("2026-03-11 02:00")),
    ]
    assert truth.union_seconds(spans) == (7 * 24 + 12 + 2) * 3600


def test_bands_split_a_day_across_local_midnight() -> None:
    # 2026-03-04 is a Wednesday; New York is UTC-5 then. 12:00-12:00 UTC = 07:00-07:00 local.
    business, off, sleep = truth.hour_bands(
        at("2026-03-04 12:00"), at("2026-03-05 12:00"), "America/New_York"
    )
    assert (business, off, sleep) == (10.0, 4.0, 10.0)


def test_bands_on_the_spring_forward_night_lose_an_hour_of_sleep() -> None:
    # New York springs forward on Sunday 2026-03-08 at 02:00 local: that local day has 23 hours.
    start, end = at("2026-03-08 05:00"), at("2026-03-09 04:00")  # local Sunday 00:00 to Monday 00:00
    business, off, sleep = truth.hour_bands(start, end, "America/New_York")
    assert business + off + sleep == pytest.approx(23.0)
    assert (business, off, sleep) == (0.0, 14.0, 9.0)  # a Sunday: no business hours; sleep 00-08 loses one
    # London falls back on 2026-10-25: its Sunday has 25 hours, one more of them asleep.
    start, end = at("2026-10-24 23:00"), at("2026-10-26 00:00")
    business, off, sleep = truth.hour_bands(start, end, "Europe/London")
    assert (business, off, sleep) == (0.0, 14.0, 11.0)


def test_band_of_half_hour_zone_and_weekend() -> None:
    assert truth.band_of(at("2026-03-04 02:29"), "Asia/Kolkata") == "sleep"  # 07:59 local
    assert truth.band_of(at("2026-03-04 02:30"), "Asia/Kolkata") == "business"  # 08:00 local
    assert truth.band_of(at("2026-03-07 12:00"), "UTC") == "off"  # a Saturday noon
    assert truth.band_of(at("2026-03-06 18:00"), "UTC") == "off"  # Friday 18:00
    assert truth.band_of(at("2026-03-06 22:00"), "UTC") == "sleep"


def test_pages_chain_notifications_within_60_seconds() -> None:
    t0 = at("2026-03-04 03:00")
    times = [t0 + timedelta(seconds=s) for s in (0, 50, 100, 150, 211, 271, 400)]
    pages = truth.chain_pages(list(reversed(times)))
    # 0-150 chain (each within 60 s of the previous, 150 s after the first); 211 is 61 s after 150.
    assert [p[0] for p in pages] == [t0, t0 + timedelta(seconds=211), t0 + timedelta(seconds=400)]
    assert [len(p) for p in pages] == [4, 2, 1]


def test_pagerduty_interruptions_chain_per_user_and_skip_email() -> None:
    def notify(user: str, when: str, method: str) -> dict:
        return {
            "type": "notify_log_entry",
            "created_at": when,
            "user": {"id": user},
            "channel": {"type": "notification", "notification": {"type": method}},
        }

    entries = [
        notify("U1", "2026-03-04T03:00:00Z", "push_notification"),
        notify("U1", "2026-03-04T03:00:40Z", "sms_notification"),
        notify("U2", "2026-03-04T03:00:40Z", "phone_notification"),
        notify("U1", "2026-03-04T03:01:30Z", "phone_notification"),  # 50 s after the SMS: same page
        notify("U1", "2026-03-04T03:05:00Z", "email_notification"),  # email never interrupts
    ]
    assert truth.interruptions(entries) == [("U1", at("2026-03-04 03:00")), ("U2", at("2026-03-04 03:00:40"))]


def test_week_of_is_the_utc_monday() -> None:
    assert str(truth.week_of(at("2026-03-08 23:59"))) == "2026-03-02"
    assert str(truth.week_of(at("2026-03-09 00:00"))) == "2026-03-09"


def test_percentile_interpolates_between_ranks() -> None:
    assert truth.percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert truth.percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == pytest.approx(9.1)
