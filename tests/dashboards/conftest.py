"""Fixtures: a hand-made published snapshot carrying the real dbt docs, and settings pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from dashboards_support import build_published_db, sample_incidents

from dashboards.snapshot import close_readers
from exports.publish import Definition, read_definitions
from pipelines.settings import reload_settings
from tests.dbt_runner import dbt_command


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The manifest of the repository's dbt project, from `dbt parse` into a temporary target folder
    (never dbt_project/target). A subprocess, as the pipeline runs dbt; from the session's cached parse
    state when another worker or build saved it (tests/dbt_runner.py)."""
    workdir = tmp_path_factory.mktemp("dbt_parse")
    # Named as the test builds name theirs (parse never opens it), so they share one parse state.
    run = dbt_command("parse", workdir, {"INCIDENT_LAKE_DB": str(workdir / "warehouse.duckdb")}, timeout=300)
    manifest = workdir / "target" / "manifest.json"
    assert run.returncode == 0 and manifest.is_file(), run.output
    return manifest


@pytest.fixture(scope="session")
def definitions(dbt_manifest: Path) -> list[Definition]:
    return read_definitions(dbt_manifest)


@pytest.fixture(scope="session")
def incidents() -> pd.DataFrame:
    return sample_incidents()


@pytest.fixture(scope="session")
def published_db(
    tmp_path_factory: pytest.TempPathFactory, incidents: pd.DataFrame, definitions: list[Definition]
) -> Path:
    return build_published_db(
        tmp_path_factory.mktemp("published") / "published.duckdb", incidents, definitions=definitions
    )


@pytest.fixture(autouse=True)
def no_background_warmup(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest runs the entrypoint in this process: keep its warm-up thread from running queries behind a
    test's back (tests that record the queries a page runs would see other pages' queries). The warm-up
    itself is tested by calling `warmup.warm` and `warmup.check` directly."""
    import dashboards.warmup

    monkeypatch.setattr(dashboards.warmup, "watch", lambda: None)


@pytest.fixture
def use_published(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Point the settings (and so the dashboard) at a published file; clear Streamlit's data cache."""
    import streamlit as st

    def point_at(path: Path) -> None:
        monkeypatch.setenv("INCIDENT_LAKE_PUBLISHED_DB", str(path))
        reload_settings()
        st.cache_data.clear()

    yield point_at
    monkeypatch.undo()
    reload_settings()
    st.cache_data.clear()
    close_readers()


@pytest.fixture
def app_on_sample(published_db: Path, use_published) -> Path:
    """The dashboard pointed at the full hand-made snapshot (every mart, optional ones included)."""
    use_published(published_db)
    return published_db
