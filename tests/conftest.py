"""Make the repository root importable, so every test layer can use the oracle as `tests.oracle.truth`
(the tests are not an installed package); mark the slow folders; keep xdist's test groups whole."""

import sys
from pathlib import Path

import pytest

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


# Folders whose tests build a warehouse, run dbt or a whole sync: left out of `make test-fast`.
SLOW_FOLDERS = frozenset({"cases", "dbt", "e2e", "postgres", "dashboards", "exports", "ingest"})


def _keep_xdist_group_suffix(items: list[pytest.Item]) -> None:
    """pytest 9.2 reads a node's id from `_id`, while pytest-xdist 3.8 writes the `@group` suffix of
    `--dist loadgroup` to `_nodeid`: the suffix is lost and one group's tests are spread over workers,
    each building the group's heavy fixtures again. Carry the suffix over to `_id` (no-op before 9.2)."""
    try:
        from _pytest.nodeid import coerce_node_id  # type: ignore[import-not-found]
    except ImportError:  # pytest < 9.2 reads `_nodeid` itself
        return
    for item in items:
        written = item.__dict__.get("_nodeid")
        if isinstance(written, str) and written != item.nodeid:
            item._id = coerce_node_id(written)  # type: ignore[attr-defined]


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]):  # type: ignore[no-untyped-def]
    for item in items:
        folder = Path(str(item.fspath)).relative_to(Path(ROOT) / "tests").parts[0]
        if folder in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)
    # The wrapper runs around xdist's own hook, which adds the group suffix: fix it up afterwards.
    result = yield
    _keep_xdist_group_suffix(items)
    return result
