"""Human-readable numbers for the dashboard (durations are stored in seconds, docs/metrics.md#conventions)."""

from __future__ import annotations

import math

EMPTY = "—"


def _is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_duration(seconds: float | None) -> str:
    """`45 s`, `12 min`, `2 h 14 min`, `3 d 4 h`: two units at most, rounded to the smaller one."""
    if _is_missing(seconds):
        return EMPTY
    assert seconds is not None
    sign = "-" if seconds < 0 else ""
    magnitude = abs(seconds)
    if magnitude < 59.5:
        return f"{sign}{round(magnitude)} s"
    minutes = round(magnitude / 60)
    if minutes < 60:
        return f"{sign}{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{sign}{hours} h" + (f" {minutes} min" if minutes else "")
    days, hours = divmod(round(magnitude / 3600), 24)
    return f"{sign}{days} d" + (f" {hours} h" if hours else "")


def format_age(seconds: float | None) -> str:
    """`45 s`, `12 min`, `7 h`, `3 d`: one unit, so an age fits a metric card at any width."""
    if _is_missing(seconds):
        return EMPTY
    assert seconds is not None
    magnitude = max(0.0, float(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if magnitude >= size:
            return f"{round(magnitude / size)} {unit}"
    return f"{round(magnitude)} s"


def format_duration_delta(current: float | None, previous: float | None) -> str | None:
    """A signed duration for `st.metric(delta=...)`; None (no arrow) when either side is missing."""
    if _is_missing(current) or _is_missing(previous):
        return None
    assert current is not None and previous is not None
    diff = current - previous
    if abs(diff) < 0.5:
        return "0"  # Streamlit shows the string "0" as a neutral, grey delta
    text = format_duration(diff)
    return text if text.startswith("-") else f"+{text}"


def format_hours(seconds: float | None) -> float | None:
    return None if _is_missing(seconds) else float(seconds) / 3600  # type: ignore[arg-type]
