"""The dashboard's read path: one connection per snapshot version, and the warm-up that fills every page's
default-filter queries when a new snapshot version appears."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
import streamlit as st
from dashboards_support import APP_PATH, PAGES, build_published_db, record_queries, sample_incidents
from streamlit.testing.v1 import AppTest

import dashboards.snapshot
import dashboards.sql
from dashboards.snapshot import connect, current_snapshot, snapshot_info
from dashboards.warmup import PAGE_WARMERS, check, warm
from dashboards.warmup import watch as watch_snapshots  # the original: conftest stubs the module's one
from pipelines.settings import reload_settings


def render_recording_misses(title: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Render `title` with the default filters; the statements that missed the cache."""
    run = dashboards.sql._connect_and_run
    misses = record_queries(monkeypatch)
    at = AppTest.from_file(str(APP_PATH), default_timeout=60)
    at.run()
    if title != "Overview":
        at.switch_page(PAGES[title]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [title]
    monkeypatch.setattr(dashboards.sql, "_connect_and_run", run)
    return misses


def test_every_page_has_a_warmer() -> None:
    assert set(PAGE_WARMERS) == {"Overview", *PAGES}


@pytest.mark.parametrize("title", list(PAGE_WARMERS))
def test_after_the_warm_up_a_page_at_default_filters_runs_no_query(
    app_on_sample: Path, monkeypatch: pytest.MonkeyPatch, title: str
) -> None:
    # Without the warm-up the page misses the cache (so the check below is not vacuous) ...
    assert render_recording_misses(title, monkeypatch)
    st.cache_data.clear()
    snapshot = current_snapshot()
    assert snapshot is not None
    result = warm(snapshot, snapshot_info(snapshot.path, snapshot.version))
    assert result.failed == ()
    # ... and after it, every query the page runs by default is served from the cache.
    assert render_recording_misses(title, monkeypatch) == []


def test_a_snapshot_version_is_opened_once_and_a_new_publish_opens_the_new_file(
    tmp_path: Path, use_published
) -> None:
    target = tmp_path / "published.duckdb"
    build_published_db(target, sample_incidents(n=50, seed=1))
    use_published(target)
    first = current_snapshot()
    assert first is not None

    def count(cursor: duckdb.DuckDBPyConnection) -> int:
        return cursor.execute("SELECT count(*) FROM marts.fct_incidents").fetchall()[0][0]

    with connect(first.path, first.version) as cursor:
        assert count(cursor) == 50
    reader = dashboards.snapshot._readers[first.path]
    with connect(first.path, first.version) as cursor:
        assert count(cursor) == 50
        assert dashboards.snapshot._readers[first.path] is reader  # the same connection, not a new open

    with connect(first.path, first.version) as old_cursor:
        # What publish_marts does: build aside, then replace the file.
        build_published_db(tmp_path / "next.duckdb", sample_incidents(n=80, seed=2)).replace(target)
        os.utime(target, ns=(first.version + 1, first.version + 1))  # a distinct mtime on coarse clocks
        second = current_snapshot()
        assert second is not None and second.version != first.version
        with connect(second.path, second.version) as cursor:
            assert count(cursor) == 80
        # A query already running on the old version finishes on the old file ...
        assert count(old_cursor) == 50
        assert reader.users == 1 and reader.retired  # still open for the query above
    # ... and the old connection is closed once it is done.
    assert reader.users == 0 and reader.retired
    with pytest.raises(duckdb.ConnectionException):
        reader.con.execute("SELECT 1")


def test_the_watcher_warms_each_new_snapshot_version_once(
    app_on_sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran = record_queries(monkeypatch)
    snapshot = current_snapshot()
    assert snapshot is not None
    assert check(None) == snapshot.version
    assert ran  # a new version: every page's default queries ran
    ran.clear()
    st.cache_data.clear()
    assert check(snapshot.version) == snapshot.version
    assert ran == []  # the same version again: nothing, even with an empty cache


def test_the_warm_up_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INCIDENT_LAKE_DASHBOARD_WARMUP", "false")
    reload_settings()
    try:
        assert watch_snapshots() is None
    finally:
        monkeypatch.undo()
        reload_settings()
