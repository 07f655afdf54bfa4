"""Id and time formats of the four APIs, built from a seeded `random.Random` so the data is reproducible."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime

_B32 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# Crockford base32 (what ULIDs use): no I, L, O, U.
_CROCKFORD = bytes.maketrans(_B32, b"0123456789ABCDEFGHJKMNPQRSTVWXYZ")
_ALNUM_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def ulid(rng: random.Random, at: float) -> str:
    """incident.io ids: 26 Crockford base32 chars, a 48-bit millisecond time then 80 random bits."""
    value = (int(at * 1000) << 80) | rng.getrandbits(80)
    raw = base64.b32encode(value.to_bytes(20, "big")).translate(_CROCKFORD).decode()
    return raw[-26:]


def upper_id(rng: random.Random, prefix: str, length: int) -> str:
    """Upper-case alphanumeric ids: Slack `U…`/`C…`, PagerDuty `P…`, log entries `R…`."""
    return prefix + "".join(rng.choices(_ALNUM_UPPER, k=length - len(prefix)))


def zoom_user_id(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(16)).decode().rstrip("=")[:22]


def zoom_uuid(rng: random.Random) -> str:
    """A meeting instance UUID: standard base64 of 16 bytes (may contain `+` and `/`), e.g. `aDYl…hA==`."""
    return base64.b64encode(rng.randbytes(16)).decode()


def token_like(rng: random.Random, length: int = 22) -> str:
    return (
        base64.urlsafe_b64encode(rng.randbytes(length)).decode().replace("-", "a").replace("_", "b")[:length]
    )


def uuid4_like(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def to_dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def iso_ms(t: float) -> str:
    """incident.io style: `2023-10-24T15:10:35.411Z`."""
    dt = datetime.fromtimestamp(t, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def iso_s(t: float) -> str:
    """PagerDuty and Zoom style: `2025-03-04T02:13:55Z`."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slack_ts(us: int) -> str:
    """Slack message ts from integer microseconds: `1741054100.001500`."""
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def slack_ts_us(ts: str) -> int:
    sec, _, frac = ts.partition(".")
    return int(sec) * 1_000_000 + int((frac + "000000")[:6])


def parse_time(value: str) -> datetime:
    """Parse what clients send as a time filter: a date, an ISO time (`Z` or offset), or epoch seconds."""
    v = value.strip()
    if v.replace(".", "", 1).isdigit() and len(v) > 8:
        return datetime.fromtimestamp(float(v), UTC)
    if len(v) == 10:
        return datetime.fromisoformat(v).replace(tzinfo=UTC)
    dt = datetime.fromisoformat(v.replace("Z", "+00:00").replace(" ", "+") if "T" in v else v)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def stable_hash(s: str) -> int:
    """A stable small hash (Python's `hash` of str is salted per process)."""
    return sum((i + 1) * ord(c) for i, c in enumerate(s))
