"""`--hash-emails`: every email in an export becomes a keyed hash that still joins across models.

The hash is HMAC-SHA256 (hex) of the trimmed, lower-cased email, keyed by `INCIDENT_LAKE_HASH_KEY`. A keyed
hash, not a plain SHA-256: anyone can hash a list of guessed addresses, but not without the key. The same
key gives the same hash for an email in every model and every export, so `fct_incidents.lead_email` still
joins `dim_people.person_email`; a new key gives new hashes everywhere.

Which values: a VARCHAR column tagged `email` in the dbt contract is hashed whole; in every other VARCHAR
column, each email-shaped substring is replaced by its hash (an address quoted in a PagerDuty summary, say).
A column of a nested type that may hold text (LIST, STRUCT, MAP, JSON) fails the export rather than leaking.

Which columns are sensitive is said once, by the privacy tags of the marts' dbt YAML (`PRIVACY_TAGS`, read
by `exports.contracts`); `column_privacy` is the one place that turns a column into its tag.

The key is read from the environment here, never from run config (Dagster logs run config), and never
written anywhere: the manifest records only a key id, an HMAC of a fixed label, so two exports can be
checked to use one key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
from duckdb.func import PythonUDFType

from exports.warehouse import ExportError, quote_ident

if TYPE_CHECKING:  # contracts imports this module
    from exports.contracts import ModelContract

HASH_KEY_ENV = "INCIDENT_LAKE_HASH_KEY"
MIN_KEY_LENGTH = 16
ALGORITHM = "HMAC-SHA256"

# Close to what mail systems accept in practice; local part and domain as in RFC 5321 minus quoting.
EMAIL_PATTERN = (
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)
_EMAIL_RE = re.compile(EMAIL_PATTERN)

# The privacy tags a mart column may carry in its dbt YAML (`meta: {privacy: <tag>}`): the one list of
# sensitive columns, read by the exports (hashing, leaving text out) and by the dashboard.
#   email         a person's email address: hashed whole by --hash-emails
#   person_name   a person's display name
#   message_text  what people wrote (Slack messages): left out unless --include-message-text
PRIVACY_TAGS = ("email", "person_name", "message_text")

_HASH_EMAIL_FN = "_incident_lake_hash_email"
_HASH_EMAILS_IN_FN = "_incident_lake_hash_emails_in"
_TEXT_TYPES = ("VARCHAR", "JSON")


def check_privacy_tag(tag: object, where: str) -> None:
    """Raise ExportError unless `tag` is None or one of PRIVACY_TAGS (`where` names the column)."""
    if tag is not None and tag not in PRIVACY_TAGS:
        raise ExportError(
            f"Unknown privacy tag {tag!r} on {where}: use one of {', '.join(PRIVACY_TAGS)} "
            "(dbt column `meta: {privacy: ...}`)."
        )


def load_hash_key(environ: dict[str, str] | None = None) -> bytes:
    """The HMAC key from the environment, or a clear error naming the variable (never the value)."""
    value = (os.environ if environ is None else environ).get(HASH_KEY_ENV, "")
    if not value:
        raise ExportError(
            f"--hash-emails needs a secret key: set {HASH_KEY_ENV} (at least {MIN_KEY_LENGTH} characters; "
            "keep the same key to keep hashes joinable across exports)."
        )
    if len(value) < MIN_KEY_LENGTH:
        raise ExportError(
            f"{HASH_KEY_ENV} is too short for --hash-emails: use at least {MIN_KEY_LENGTH} random characters."
        )
    return value.encode("utf-8")


class EmailHasher:
    """HMAC-SHA256 of lower-cased emails. The key stays in this object: no repr, no SQL text."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "EmailHasher(key=<hidden>)"

    @property
    def key_id(self) -> str:
        """A short public id of the key (an HMAC of a fixed label): equal ids mean the same key."""
        return hmac.new(self._key, b"incident-lake key id", hashlib.sha256).hexdigest()[:16]

    def hash_email(self, email: str) -> str:
        return hmac.new(self._key, email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()

    def hash_emails_in(self, text: str) -> str:
        return _EMAIL_RE.sub(lambda m: self.hash_email(m.group(0)), text)

    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make the two hash functions callable from SQL on `con` (the key is in the closure, not the SQL)."""
        for name, fn in ((_HASH_EMAIL_FN, self.hash_email), (_HASH_EMAILS_IN_FN, self.hash_emails_in)):
            con.create_function(name, _vectorized(fn), ["VARCHAR"], "VARCHAR", type=PythonUDFType.ARROW)


def _vectorized(fn: Callable[[str], str]) -> Callable[..., pa.Array]:
    # An Arrow UDF: one Python call per batch of rows instead of one per value.
    # (DuckDB evaluates these annotations at registration, so `pa` is imported at module level.)
    def apply(values: pa.Array) -> pa.Array:
        return pa.array([None if v is None else fn(v) for v in values.to_pylist()], type=pa.string())

    return apply


# A column the contract does not list has no tag: it is judged by its name instead, so a column added to a
# mart without its YAML entry is never exported in the clear.
_UNLISTED_MESSAGE_TEXT = frozenset({"text", "message_text"})


def column_privacy(name: str, contract: ModelContract | None) -> str | None:
    """The privacy tag of column `name` of a mart: its dbt contract's tag when the contract lists the
    column (None when untagged); for a column the contract does not list, `email` for a name ending in
    "email", `message_text` for `text`/`message_text`, else None."""
    column = contract.columns.get(name) if contract is not None else None
    if column is not None:
        return column.privacy
    lowered = name.lower()
    if lowered.endswith("email"):
        return "email"
    if lowered in _UNLISTED_MESSAGE_TEXT:
        return "message_text"
    return None


def hashed_select_expr(name: str, duckdb_type: str, privacy: str | None) -> tuple[str, bool]:
    """(SQL expression exporting column `name` with emails hashed, whether the whole value is a hash);
    `privacy` is the column's tag (`column_privacy`)."""
    ident = quote_ident(name)
    upper = duckdb_type.upper()
    if upper in _TEXT_TYPES:
        if privacy == "email":
            return f"{_HASH_EMAIL_FN}({ident}) AS {ident}", True
        # Only rows holding an '@' pay for the Python call.
        expr = f"CASE WHEN strpos({ident}, '@') > 0 THEN {_HASH_EMAILS_IN_FN}({ident}) ELSE {ident} END"
        if upper == "JSON":
            expr = f"({expr})::JSON"
        return f"{expr} AS {ident}", False
    if any(token in upper for token in ("VARCHAR", "JSON", "STRUCT", "MAP", "UNION", "[]")):
        raise ExportError(
            f"--hash-emails cannot rewrite column {name} of type {duckdb_type}: cast it to VARCHAR in the "
            "mart, or export without --hash-emails."
        )
    return ident, False
