"""Building blocks the pages share: the page context, downloadable tables, notes on missing data."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import altair as alt
import pandas as pd
import streamlit as st

from dashboards.definitions import Definition
from dashboards.filters import Filters, current_filters
from dashboards.snapshot import (
    ColumnDoc,
    Snapshot,
    SnapshotInfo,
    current_snapshot,
    snapshot_docs,
    snapshot_info,
)

# The privacy tag (dbt column meta, see exports/privacy.py) of columns the dashboard keeps off screen.
HIDDEN_PRIVACY = "message_text"


@dataclass(frozen=True)
class PageContext:
    snapshot: Snapshot
    info: SnapshotInfo
    filters: Filters
    docs: Mapping[str, ColumnDoc]  # the snapshot's dbt docs, "model" / "model.column" -> description

    def help(self, definition: Definition) -> str:
        """The help text of a number: what the dashboard computes, then the dbt docs it rests on."""
        return definition.text(self.docs)

    def hidden_columns(self) -> frozenset[str]:
        """Column names the dashboard never shows nor offers for download: those a mart's dbt YAML tags
        `message_text` (what people wrote; exports.privacy.PRIVACY_TAGS)."""
        return frozenset(
            key.split(".", 1)[1]
            for key, doc in self.docs.items()
            if "." in key and doc.privacy == HIDDEN_PRIVACY
        )


def page_context() -> PageContext:
    """The snapshot, what it holds, its dbt docs and the sidebar filters (the entrypoint only runs pages
    when the snapshot is ready)."""
    snapshot = current_snapshot()
    assert snapshot is not None  # the entrypoint routes to the first-run page otherwise
    return PageContext(
        snapshot,
        snapshot_info(snapshot.path, snapshot.version),
        current_filters(),
        snapshot_docs(snapshot.path, snapshot.version),
    )


def page_header(title: str, ctx: PageContext, note: str = "") -> None:
    st.title(title)
    st.caption(ctx.filters.describe() + (f" {note}" if note else ""))


def has_or_note(info: SnapshotInfo, table: str, *columns: str, what: str) -> bool:
    """True when `table` (marts.<table>, or meta.<table>) has `columns`; else an info note saying what
    cannot be shown and why."""
    missing = info.missing(table, *columns)
    if not missing:
        return True
    names = ", ".join(f"`{m}`" if m.startswith("meta.") else f"`marts.{m}`" for m in missing)
    st.info(
        f"{what} needs {names}, which this snapshot does not have yet. "
        "It appears once the marts are rebuilt and published (`incident-lake run`).",
        icon=":material/info:",
    )
    return False


def skipped_note(ctx: PageContext, what: str, *raw_tables: str) -> bool:
    """Warn when the last sync could not read one of `raw_tables` (`<source>_<entity>`, as in
    `marts.fct_skipped_entities`): what depends on them shows 0 or nothing, which then means unknown,
    not none. True when a warning was shown."""
    from dashboards.queries import health

    if not ctx.info.has(health.SKIPPED, *health.SKIPPED_COLUMNS):
        return False
    skipped = health.skipped_entities(ctx.snapshot)
    hit = skipped[(skipped["source"] + "_" + skipped["entity"]).isin(raw_tables)]
    if hit.empty:
        return False
    refused = "; ".join(
        f"{r.source} {r.entity} (HTTP {r.status_code}: {r.message})" for r in hit.itertuples(index=False)
    )
    st.warning(
        f"{what} is incomplete: the last sync could not read {refused}. Numbers that depend on it show "
        "as 0 or empty here, which means unknown, not none. Data health lists what was refused.",
        icon=":material/warning:",
    )
    return True


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def table(
    df: pd.DataFrame,
    name: str,
    ctx: PageContext | None = None,
    column_config: dict[str, Any] | None = None,
    download: pd.DataFrame | None = None,
    height: int | Literal["auto", "stretch", "content"] = "auto",
    empty_text: str = "Nothing matches the filters.",
    column_order: list[str] | None = None,
    period_in_file_name: bool = True,
) -> None:
    """A dataframe with a CSV download beside it (of `download` when given, else of `df` itself). With a
    page context, columns tagged `message_text` in dbt are left out of both (`PageContext.hidden_columns`)
    and the CSV's file name carries the period (unless `period_in_file_name` is False)."""
    if ctx is not None:
        hidden = ctx.hidden_columns()
        df = df.drop(columns=[c for c in df.columns if c in hidden])
        if download is not None:
            download = download.drop(columns=[c for c in download.columns if c in hidden])
    if df.empty:
        st.caption(empty_text)
    st.dataframe(df, hide_index=True, column_config=column_config, height=height, column_order=column_order)
    period = (
        f"_{ctx.filters.start:%Y-%m-%d}_{ctx.filters.end:%Y-%m-%d}"
        if ctx is not None and period_in_file_name
        else ""
    )
    st.download_button(
        "Download CSV",
        csv_of(df if download is None else download),
        file_name=f"{_slug(name)}{period}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key=f"download_{_slug(name)}",
    )


def csv_of(df: pd.DataFrame) -> Callable[[], bytes]:
    """The CSV bytes of `df` (UTF-8, no index), made only when the download button is clicked: written
    on every run, the CSVs of a page's tables cost more than its cached queries."""
    return lambda: df.to_csv(index=False).encode("utf-8")


def chart(spec: alt.Chart | alt.LayerChart | alt.HConcatChart, container: Any = st) -> None:
    container.altair_chart(spec, width="stretch")


def percent(numerator: float | None, denominator: float | None) -> str:
    if not denominator or numerator is None:
        return "—"
    return f"{100 * numerator / denominator:.0f}%"
