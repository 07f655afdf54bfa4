"""Fixtures: a fresh hand-made warehouse per test (exports must never modify it, but tests may)."""

from __future__ import annotations

from pathlib import Path

import pytest
from exports_support import build_warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return build_warehouse(tmp_path / "warehouse.duckdb")
