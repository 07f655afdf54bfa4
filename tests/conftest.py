"""Make the repository root importable, so every test layer can use the oracle as `tests.oracle.truth`
(the tests are not an installed package)."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


# Folders whose tests build a warehouse, run dbt or a whole sync: left out of `make test-fast`.
SLOW_FOLDERS = frozenset({"cases", "dbt", "e2e", "postgres", "dashboards", "exports", "ingest"})


def pytest_collection_modifyitems(config, items):
    import pytest

    for item in items:
        folder = Path(str(item.fspath)).relative_to(Path(ROOT) / "tests").parts[0]
        if folder in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)
