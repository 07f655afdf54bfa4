"""Load the warehouse into Postgres: schemas `raw` and `marts`, in one transaction, with COPY.

Plain library code (no Dagster): the `exports/postgres_warehouse` asset and the tests call
`export_to_postgres`.

What lands where. Every table of the DuckDB schemas `raw` and `marts` (names starting with `_` are
bookkeeping and stay home), and the sync history `meta.sync_runs` (the source of the `sync_runs` mart),
becomes a table of the same name and schema in Postgres, with Postgres types
(`JSON` -> `jsonb`, `TIMESTAMP WITH TIME ZONE` -> `timestamptz`, `DOUBLE` -> `double precision`, nested
types -> `jsonb`). `dbt build --target postgres` reads the `raw` tables as its sources (`dbt_env` gives
the profile's variables for a DSN) and rebuilds `staging`, `intermediate` and `marts` there.

Transaction. One transaction does everything: take an advisory lock (exports to one database run one at
a time), COPY every table into fresh tables of the private schemas `raw__incoming`/`marts__incoming`,
then drop the old tables, move the new ones into `raw`/`marts` and drop the private schemas. Readers see
the previous tables during the whole load (the exclusive locks are taken only by the final swap, which
is fast) and the new ones after COMMIT; never a mix. Any failure (a wrong DSN, a server that goes away,
a bad value) rolls the whole transaction back: the previous export stays as it was. The DuckDB warehouse
is opened read-only. Tables that an earlier export loaded but the warehouse no longer has are dropped
(they carry the comment `EXPORT_COMMENT`); other tables in `raw`/`marts` are left alone. Views that depend
on a replaced table (e.g. dbt's staging views on `raw.*`) are dropped with it: run dbt again afterwards.

Slack message text (docs/contract.md#privacy: not exported unless asked for). `raw.slack_messages._record`
holds the whole Slack message. Unless `include_message_text` is set, the keys that carry what people wrote
are removed from each record before it leaves DuckDB: `text`, `blocks`, `attachments`, `files` (content),
`root` (the parent of a broadcast reply, with its text), `message` and `previous_message` (edit events).
Mart columns named like message text are left out the same way. No mart reads these keys, so
`dbt build --target postgres` on the exported raw tables gives the same marts.

DSN. The password never appears in a message or a log: errors name the target as `redact_dsn` prints it
(`postgresql://user:***@host:port/dbname`), and anything the driver says is scrubbed of the password.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pyarrow as pa
import pyarrow.csv as pa_csv
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from exports.contracts import DEFAULT_CONTRACTS_DIR, ModelContract, load_contracts
from exports.privacy import column_privacy
from exports.warehouse import ExportError, open_read_only, quote_ident

SCHEMAS = ("raw", "marts")
# Pipeline bookkeeping a mart is built from (dbt source `pipeline_meta`): loaded beside `raw`, so
# `dbt build --target postgres` rebuilds `marts.fct_sync_runs` and `fct_skipped_entities` as DuckDB has them.
META_TABLES = (("meta", "sync_runs"), ("meta", "skipped_entities"))
INCOMING_SUFFIX = "__incoming"
EXPORT_COMMENT = "loaded by incident-lake export --postgres"
# Any constant shared by every incident-lake export: the advisory lock that serializes them.
ADVISORY_LOCK_KEY = 7_460_295_031
BATCH_ROWS = 50_000
CONNECT_TIMEOUT_SECONDS = 10

SLACK_MESSAGES_TABLE = "slack_messages"
SLACK_TEXT_KEYS = ("text", "blocks", "attachments", "files", "root", "message", "previous_message")

# DuckDB type (as information_schema spells it) -> Postgres type; anything else is looked at below.
_SCALAR_TYPES: dict[str, str] = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "UTINYINT": "smallint",
    "INTEGER": "integer",
    "USMALLINT": "integer",
    "BIGINT": "bigint",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20, 0)",
    "HUGEINT": "numeric(39, 0)",
    "UHUGEINT": "numeric(39, 0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "VARCHAR": "text",
    "JSON": "jsonb",
    "UUID": "uuid",
    "DATE": "date",
    "TIME": "time",
    "TIME WITH TIME ZONE": "timetz",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "BLOB": "bytea",
    "BIGNUM": "numeric",
}


class PostgresExportError(ExportError):
    """The Postgres load failed and was rolled back; the message is one sentence, password-free."""


@dataclass(frozen=True)
class Column:
    name: str
    duckdb_type: str

    @property
    def postgres_type(self) -> str:
        return postgres_type(self.duckdb_type)

    def select_expression(self) -> str:
        """DuckDB SQL giving this column as the text Postgres parses back into `postgres_type`."""
        ident = quote_ident(self.name)
        pg_type = self.postgres_type
        if pg_type == "jsonb" and self.duckdb_type != "JSON":
            return f"CAST(to_json({ident}) AS VARCHAR)"  # lists, structs, maps
        if pg_type == "bytea":
            return f"'\\x' || hex({ident})"
        # DuckDB's text forms round-trip: doubles print shortest-exact, timestamptz with its offset.
        return f"CAST({ident} AS VARCHAR)"


@dataclass(frozen=True)
class TablePlan:
    schema: str
    name: str
    columns: tuple[Column, ...]
    source_sql: str  # DuckDB query giving the rows, every column as text


@dataclass
class PostgresExportSummary:
    target: str  # the redacted DSN
    rows: dict[str, int] = field(default_factory=dict)  # "schema.table" -> rows loaded
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# --- DSN ---------------------------------------------------------------------------------------------


def parse_dsn(dsn: str) -> dict[str, str]:
    """A DSN (URL or key=value) as its parts; a malformed one is an error that does not echo it."""
    try:
        return {k: str(v) for k, v in conninfo_to_dict(dsn).items()}
    except psycopg.ProgrammingError:
        # psycopg's message quotes the DSN, which may hold the password.
        raise PostgresExportError(
            "The Postgres DSN is not valid: write it as postgresql://user:password@host:port/dbname "
            "(or as key=value pairs)."
        ) from None


def redact_dsn(dsn: str) -> str:
    """`postgresql://user:***@host:port/dbname`: safe to print, enough to know which server it is."""
    try:
        parts = parse_dsn(dsn)
    except PostgresExportError:
        return "<invalid DSN>"
    user = parts.get("user", "")
    credentials = f"{user}{':***' if parts.get('password') else ''}"
    host = parts.get("host") or parts.get("hostaddr") or "localhost"
    netloc = f"{credentials}@{host}" if credentials else host
    if parts.get("port"):
        netloc += f":{parts['port']}"
    return f"postgresql://{netloc}/{parts.get('dbname', '')}"


def scrub(message: str, dsn: str) -> str:
    """`message` without the DSN's password (nor the DSN itself), in case a driver message quotes it."""
    secrets = [dsn]
    try:
        password = parse_dsn(dsn).get("password")
    except PostgresExportError:
        password = None
    if password:
        secrets.append(password)
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            message = message.replace(secret, "***")
    return message


def dbt_env(dsn: str) -> dict[str, str]:
    """The INCIDENT_LAKE_PG_* variables that point dbt's `postgres` target (profiles.yml) at `dsn`."""
    parts = parse_dsn(dsn)
    names = {
        "host": "INCIDENT_LAKE_PG_HOST",
        "port": "INCIDENT_LAKE_PG_PORT",
        "user": "INCIDENT_LAKE_PG_USER",
        "password": "INCIDENT_LAKE_PG_PASSWORD",
        "dbname": "INCIDENT_LAKE_PG_DBNAME",
        "sslmode": "INCIDENT_LAKE_PG_SSLMODE",
    }
    return {env: parts[key] for key, env in names.items() if parts.get(key)}


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


# --- types and plans ---------------------------------------------------------------------------------


def postgres_type(duckdb_type: str) -> str:
    """The Postgres column type for a DuckDB type; nested and unknown types travel as jsonb."""
    upper = duckdb_type.upper()
    if upper in _SCALAR_TYPES:
        return _SCALAR_TYPES[upper]
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", upper)
    if decimal:
        return f"numeric({decimal.group(1)}, {decimal.group(2)})"
    if upper.startswith("ENUM("):
        return "text"
    return "jsonb"  # LIST, STRUCT, MAP, UNION, ARRAY: JSON is the faithful portable form


def plan_tables(
    con: duckdb.DuckDBPyConnection,
    include_message_text: bool,
    contracts: dict[str, ModelContract] | None = None,
) -> list[TablePlan]:
    """What to load: every non-bookkeeping table of `raw` and `marts`, and `META_TABLES`, in catalog
    order. As in the file
    export, a mart column tagged `message_text` (`exports.privacy.column_privacy` over `contracts`, the
    dbt YAML of the repository's marts by default) stays home unless `include_message_text`."""
    if contracts is None:
        contracts = load_contracts(DEFAULT_CONTRACTS_DIR)
    rows = con.execute(
        """
        SELECT c.table_schema, c.table_name, c.column_name, c.data_type
        FROM information_schema.columns AS c
        JOIN information_schema.tables AS t USING (table_catalog, table_schema, table_name)
        WHERE c.table_catalog = current_database()
          AND (c.table_schema IN ('raw', 'marts')
               OR list_contains($meta_tables, c.table_schema || '.' || c.table_name))
          AND t.table_type = 'BASE TABLE'
          AND NOT starts_with(c.table_name, '_')
        ORDER BY c.table_schema DESC, c.table_name, c.ordinal_position
        """,
        {"meta_tables": [f"{schema}.{table}" for schema, table in META_TABLES]},
    ).fetchall()
    columns: dict[tuple[str, str], list[Column]] = {}
    for schema, table, column, data_type in rows:
        columns.setdefault((schema, table), []).append(Column(column, data_type))
    plans = []
    for (schema, table), cols in columns.items():
        if schema == "marts" and not include_message_text:
            contract = contracts.get(table)
            cols = [c for c in cols if column_privacy(c.name, contract) != "message_text"]
        expressions = [c.select_expression() for c in cols]
        if schema == "raw" and table == SLACK_MESSAGES_TABLE and not include_message_text:
            expressions = [
                _strip_text_keys(c.name) if c.name == "_record" and c.duckdb_type == "JSON" else e
                for c, e in zip(cols, expressions, strict=True)
            ]
        source = f"SELECT {', '.join(expressions)} FROM {quote_ident(schema)}.{quote_ident(table)}"
        plans.append(TablePlan(schema, table, tuple(cols), source))
    return plans


def _strip_text_keys(column: str) -> str:
    # RFC 7396 merge patch: a key patched to null is removed (top-level keys only, as intended).
    patch = "{" + ", ".join(f'"{key}": null' for key in SLACK_TEXT_KEYS) + "}"
    return f"CAST(json_merge_patch({quote_ident(column)}, '{patch}') AS VARCHAR)"


# --- the load ----------------------------------------------------------------------------------------


def csv_chunks(con: duckdb.DuckDBPyConnection, query: str, batch_rows: int) -> Iterator[tuple[bytes, int]]:
    """The rows of `query` as CSV bytes for COPY, one Arrow batch at a time (never all rows at once).

    Every column is text; nulls are written unquoted and empty (Postgres' CSV NULL), every other value
    quoted, so an empty string stays an empty string.
    """
    options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")
    reader: pa.RecordBatchReader = con.sql(query).to_arrow_reader(batch_rows)
    for batch in reader:
        if batch.num_rows == 0:
            continue
        buffer = io.BytesIO()
        pa_csv.write_csv(batch, buffer, options)
        yield buffer.getvalue(), batch.num_rows


def export_to_postgres(
    warehouse_path: Path,
    dsn: str,
    *,
    include_message_text: bool = False,
    include_marts: bool = True,
    batch_rows: int = BATCH_ROWS,
    on_batch: Callable[[str, int], None] | None = None,
) -> PostgresExportSummary:
    """Replace schemas `raw` and `marts` of the Postgres database at `dsn` with the warehouse's tables.

    `include_marts=False` loads `raw` only (for `dbt build --target postgres` to build the marts there).
    `on_batch(table, rows)` is called after each COPY chunk (progress; tests inject failures with it).
    """
    started = time.perf_counter()
    target = redact_dsn(dsn)
    parse_dsn(dsn)  # a malformed DSN fails here, before the warehouse is opened
    summary = PostgresExportSummary(target=target)
    duck = open_read_only(warehouse_path)
    try:
        plans = [p for p in plan_tables(duck, include_message_text) if include_marts or p.schema != "marts"]
        if not any(p.schema == "raw" for p in plans):
            raise PostgresExportError(
                f"The warehouse {warehouse_path} has no raw tables: run `incident-lake sync` first."
            )
        if include_marts and not any(p.schema == "marts" for p in plans):
            raise PostgresExportError(
                f"The warehouse {warehouse_path} has no tables in schema `marts`: "
                "run `incident-lake build` first."
            )
        pg = _connect(dsn, target)
        try:
            schemas = sorted({p.schema for p in plans})
            with pg.transaction():
                _load(pg, duck, plans, schemas, summary, batch_rows, on_batch)
        except psycopg.Error as exc:
            raise PostgresExportError(
                f"Loading Postgres at {target} failed and was rolled back, the previous export there is "
                f"untouched: {scrub(_first_line(exc), dsn)}"
            ) from None
        finally:
            pg.close()
    finally:
        duck.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _connect(dsn: str, target: str) -> psycopg.Connection[Any]:
    extra: dict[str, Any] = {"application_name": "incident-lake export"}
    if "connect_timeout" not in parse_dsn(dsn):
        extra["connect_timeout"] = CONNECT_TIMEOUT_SECONDS  # a wrong host fails fast, not in minutes
    try:
        return psycopg.connect(dsn, **extra)
    except psycopg.Error as exc:
        raise PostgresExportError(
            f"Cannot connect to Postgres at {target}: {scrub(_first_line(exc), dsn)}; "
            "check the DSN (host, port, user, password, database) and that the server is running."
        ) from None


def _load(
    pg: psycopg.Connection[Any],
    duck: duckdb.DuckDBPyConnection,
    plans: list[TablePlan],
    schemas: list[str],
    summary: PostgresExportSummary,
    batch_rows: int,
    on_batch: Callable[[str, int], None] | None,
) -> None:
    with pg.cursor() as cur:
        # Timestamps are written with their offset; UTC keeps what readers of this session see simple.
        cur.execute("SET LOCAL TimeZone = 'UTC'")
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        for schema in schemas:
            incoming = sql.Identifier(schema + INCOMING_SUFFIX)
            cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(incoming))
            cur.execute(sql.SQL("CREATE SCHEMA {}").format(incoming))
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for plan in plans:
            summary.rows[f"{plan.schema}.{plan.name}"] = _copy_table(cur, duck, plan, batch_rows, on_batch)
        for schema in schemas:
            _swap_schema(cur, schema, [p.name for p in plans if p.schema == schema])


def _copy_table(
    cur: psycopg.Cursor[Any],
    duck: duckdb.DuckDBPyConnection,
    plan: TablePlan,
    batch_rows: int,
    on_batch: Callable[[str, int], None] | None,
) -> int:
    table = sql.Identifier(plan.schema + INCOMING_SUFFIX, plan.name)
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.postgres_type)) for c in plan.columns
    )
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(table, columns))
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in plan.columns)
    rows = 0
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(table, names)) as copy:
        for chunk, count in csv_chunks(duck, plan.source_sql, batch_rows):
            copy.write(chunk)
            rows += count
            if on_batch is not None:
                on_batch(f"{plan.schema}.{plan.name}", count)
    if plan.schema == "raw" and any(c.name == "id" for c in plan.columns):
        # Same key as in DuckDB; built after the COPY (one sort instead of a btree insert per row).
        cur.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (id)").format(table))
    cur.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(table, sql.Literal(EXPORT_COMMENT)))
    # Fresh tables have no statistics until autovacuum gets to them: without these the planner picks
    # nested loops over dbt's views (the staging -> Slack join took an hour at the default size).
    cur.execute(sql.SQL("ANALYZE {}").format(table))
    return rows


def _swap_schema(cur: psycopg.Cursor[Any], schema: str, tables: list[str]) -> None:
    """Replace the tables of `schema` by those of its incoming schema (inside the load's transaction)."""
    cur.execute(
        """
        SELECT c.relname
        FROM pg_class AS c
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p')
          AND (c.relname = ANY(%s) OR obj_description(c.oid, 'pg_class') = %s)
        """,
        [schema, tables, EXPORT_COMMENT],
    )
    for (old,) in cur.fetchall():
        cur.execute(sql.SQL("DROP TABLE {} CASCADE").format(sql.Identifier(schema, old)))
    for table in tables:
        cur.execute(
            sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                sql.Identifier(schema + INCOMING_SUFFIX, table), sql.Identifier(schema)
            )
        )
    cur.execute(sql.SQL("DROP SCHEMA {}").format(sql.Identifier(schema + INCOMING_SUFFIX)))
