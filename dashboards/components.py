"""Building blocks the pages share: the page context, downloadable tables, notes on missing data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data
from dashboards.filters import Filters, current_filters


@dataclass(frozen=True)
class PageContext:
    snapshot: data.Snapshot
    info: data.SnapshotInfo
    filters: Filters


def page_context() -> PageContext:
    """The snapshot, what it holds, and the sidebar filters (the entrypoint only runs pages when ready)."""
    snapshot = data.current_snapshot()
    assert snapshot is not None  # the entrypoint routes to the first-run page otherwise
    return PageContext(snapshot, data.snapshot_info(snapshot.path, snapshot.version), current_filters())


def page_header(title: str, ctx: PageContext, note: str = "") -> None:
    st.title(title)
    st.caption(ctx.filters.describe() + (f" {note}" if note else ""))


def has_or_note(info: data.SnapshotInfo, table: str, *columns: str, what: str) -> bool:
    """True when `marts.<table>` has `columns`; else an info note saying what cannot be shown and why."""
    missing = info.missing(table, *columns)
    if not missing:
        return True
    st.info(
        f"{what} needs {', '.join(f'`marts.{m}`' for m in missing)}, which this snapshot does not have yet. "
        "It appears once the marts are rebuilt and published (`incident-lake run`).",
        icon=":material/info:",
    )
    return False


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def table(
    df: pd.DataFrame,
    name: str,
    ctx: PageContext | None = None,
    column_config: dict[str, Any] | None = None,
    download: pd.DataFrame | None = None,
    height: int | str = "auto",
    empty_text: str = "Nothing matches the filters.",
    column_order: list[str] | None = None,
) -> None:
    """A dataframe with a CSV download beside it (of `download` when given, else of `df` itself)."""
    if df.empty:
        st.caption(empty_text)
    st.dataframe(df, hide_index=True, column_config=column_config, height=height, column_order=column_order)
    period = f"_{ctx.filters.start:%Y-%m-%d}_{ctx.filters.end:%Y-%m-%d}" if ctx is not None else ""
    st.download_button(
        "Download CSV",
        (df if download is None else download).to_csv(index=False).encode("utf-8"),
        file_name=f"{_slug(name)}{period}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key=f"download_{_slug(name)}",
    )


def chart(spec: alt.Chart | alt.LayerChart | alt.HConcatChart, container: Any = st) -> None:
    container.altair_chart(spec, width="stretch")


def percent(numerator: float | None, denominator: float | None) -> str:
    if not denominator or numerator is None:
        return "—"
    return f"{100 * numerator / denominator:.0f}%"
