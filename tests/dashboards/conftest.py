"""Fixtures: a hand-made published snapshot, and settings pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from dashboards_support import build_published_db, sample_incidents

from pipelines.settings import reload_settings


@pytest.fixture(scope="session")
def incidents() -> pd.DataFrame:
    return sample_incidents()


@pytest.fixture(scope="session")
def published_db(tmp_path_factory: pytest.TempPathFactory, incidents: pd.DataFrame) -> Path:
    return build_published_db(tmp_path_factory.mktemp("published") / "published.duckdb", incidents)


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


@pytest.fixture
def app_on_sample(published_db: Path, use_published) -> Path:
    """The dashboard pointed at the full hand-made snapshot (every mart, optional ones included)."""
    use_published(published_db)
    return published_db
