"""Privacy of the file export: message text stays home by default; `--hash-emails` leaves no plain email."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

import duckdb
import pytest
from exports_support import query, siblings, tree_digest

from exports import ExportError, export_marts
from exports.privacy import EMAIL_PATTERN, HASH_KEY_ENV

KEY = "test-key-0123456789-abcdef"
EMAIL_RE = re.compile(EMAIL_PATTERN)


def expected_hash(email: str, key: str = KEY) -> str:
    # Computed here independently of exports.privacy: HMAC-SHA256 of the lower-cased email, hex.
    return hmac.new(key.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def csv_rows(dest: Path, model: str) -> list[dict[str, str | None]]:
    con = duckdb.connect()
    try:
        cursor = con.execute(
            "SELECT * FROM read_csv(?, all_varchar = true)", [str(dest / model / f"{model}.csv")]
        )
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


@pytest.fixture
def hash_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(HASH_KEY_ENV, KEY)
    return KEY


def test_hash_emails_leaves_no_plain_email_in_any_file(
    warehouse: Path, tmp_path: Path, hash_key: str
) -> None:
    for fmt in ("csv", "parquet"):
        dest = tmp_path / fmt
        manifest = export_marts(warehouse, dest, fmt=fmt, hash_emails=True)
        for path in dest.rglob("*"):
            if path.is_file() and path.suffix != ".parquet":  # CSV, manifest, schemas: plain text
                assert not EMAIL_RE.search(path.read_text(encoding="utf-8")), path
            if path.is_file():
                assert hash_key.encode() not in path.read_bytes(), f"the key is in {path}"
        if fmt == "parquet":  # compressed: read the values back
            con = duckdb.connect()
            try:
                for model, entry in manifest["models"].items():
                    files = [str(dest / f["path"]) for f in entry["files"]]
                    rows = con.execute("SELECT * FROM read_parquet(?)", [files]).fetchall()
                    plain = [v for row in rows for v in row if isinstance(v, str) and EMAIL_RE.search(v)]
                    assert not plain, (model, plain[:3])
            finally:
                con.close()
        assert hash_key not in str(manifest)


def test_hashes_are_keyed_lower_cased_and_join_across_models(
    warehouse: Path, tmp_path: Path, hash_key: str
) -> None:
    dest = tmp_path / "export"
    manifest = export_marts(warehouse, dest, fmt="csv", hash_emails=True)

    incidents = {r["incident_id"]: r for r in csv_rows(dest, "fct_incidents")}
    plain = dict(query(warehouse, "SELECT incident_id, lead_email FROM marts.fct_incidents"))
    for incident_id, row in incidents.items():
        assert row["lead_email"] == expected_hash(plain[incident_id])

    people = {r["person_email"] for r in csv_rows(dest, "dim_people")}
    roles = csv_rows(dest, "fct_incident_roles")
    timeline = csv_rows(dest, "fct_incident_timeline")
    # The warehouse holds some of these emails upper-cased: they hash like the lower-cased ones.
    assert any(
        e != e.lower() for (e,) in query(warehouse, "SELECT person_email FROM marts.fct_incident_timeline")
    )
    assert {r["lead_email"] for r in incidents.values()} == people
    assert {r["person_email"] for r in roles} <= people
    assert {r["person_email"] for r in timeline} <= people
    # An email inside free text is replaced by the same hash, the rest of the text kept.
    noted = [r for r in timeline if r["detail"].startswith("Notified ")]
    assert noted
    for row in noted:
        lead = plain[row["incident_id"]]
        assert row["detail"] == f"Notified {expected_hash(lead)} by phone"

    assert manifest["hash_emails"]["algorithm"] == "HMAC-SHA256"
    assert manifest["hash_emails"]["key_env"] == HASH_KEY_ENV
    assert manifest["models"]["fct_incidents"]["hashed_columns"] == ["lead_email"]
    assert manifest["models"]["metrics_mttr"]["hashed_columns"] == []


def test_another_key_gives_other_hashes_and_another_key_id(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HASH_KEY_ENV, KEY)
    first = export_marts(warehouse, tmp_path / "a", fmt="csv", hash_emails=True)
    monkeypatch.setenv(HASH_KEY_ENV, KEY + "-rotated")
    second = export_marts(warehouse, tmp_path / "b", fmt="csv", hash_emails=True)

    assert first["hash_emails"]["key_id"] != second["hash_emails"]["key_id"]
    a = {r["person_email"] for r in csv_rows(tmp_path / "a", "dim_people")}
    b = {r["person_email"] for r in csv_rows(tmp_path / "b", "dim_people")}
    assert len(a) == len(b) == 5 and not a & b


def test_hash_emails_without_a_key_fails_before_writing_anything(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "export"
    export_marts(warehouse, dest)
    before = tree_digest(dest)
    monkeypatch.delenv(HASH_KEY_ENV, raising=False)
    with pytest.raises(ExportError, match=rf"--hash-emails needs a secret key: set {HASH_KEY_ENV}"):
        export_marts(warehouse, dest, hash_emails=True)

    monkeypatch.setenv(HASH_KEY_ENV, "short")
    with pytest.raises(ExportError, match="too short") as raised:
        export_marts(warehouse, dest, hash_emails=True)
    assert "short" not in str(raised.value).replace("too short", ""), "the key is never echoed"
    assert tree_digest(dest) == before
    assert siblings(dest) == []


def test_hash_emails_refuses_a_nested_text_column_rather_than_leak_it(
    warehouse: Path, tmp_path: Path, hash_key: str
) -> None:
    con = duckdb.connect(str(warehouse))
    con.execute(
        "CREATE TABLE marts.fct_watchers AS SELECT 'INC0001' AS incident_id, ['a@example.com'] AS emails"
    )
    con.close()
    with pytest.raises(ExportError, match=r"cannot rewrite column emails of type VARCHAR\[\]"):
        export_marts(warehouse, tmp_path / "export", hash_emails=True)
    assert not (tmp_path / "export").exists()


def test_message_text_is_left_out_of_every_model_and_schema_by_default(
    warehouse: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "export"
    manifest = export_marts(warehouse, dest, fmt="csv")
    for path in dest.rglob("*"):
        if path.is_file():
            assert "secret chat" not in path.read_text(encoding="utf-8"), path
    schema = (dest / manifest["models"]["fct_incident_timeline"]["schema"]["path"]).read_text()
    assert '"text"' not in schema

    with_text = export_marts(warehouse, tmp_path / "with-text", fmt="csv", include_message_text=True)
    schema = (
        tmp_path / "with-text" / with_text["models"]["fct_incident_timeline"]["schema"]["path"]
    ).read_text()
    assert '"text"' in schema
