"""`run_measured`: the child's environment (what it adds and what it drops) and its JSON report."""

from __future__ import annotations

import pytest

pytest.importorskip("psutil")  # the `bench` extra

from bench.measure import check, run_measured

CHILD = "import json, os; print('noise'); print(json.dumps({k: os.environ.get(k) for k in ('A', 'B')}))"


def test_the_child_gets_env_without_the_dropped_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("B", "inherited")
    measured = check(run_measured(["-c", CHILD], env={"A": "added"}), "child")
    assert measured.report == {"A": "added", "B": "inherited"}
    dropped = check(run_measured(["-c", CHILD], env={"A": "added"}, drop=("B",)), "child")
    assert dropped.report == {"A": "added", "B": None}
    assert dropped.wall_seconds > 0 and dropped.peak_rss_mb > 0


def test_a_failing_child_is_an_error_with_its_output() -> None:
    with pytest.raises(RuntimeError, match="boom"):
        check(run_measured(["-c", "raise SystemExit('boom')"]), "the child")
