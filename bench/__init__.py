"""`make bench`: incident-lake's sync against dlt, against DuckDB's own `read_json`, its request counts,
its wall time under real rate limits, its growth with data size, and the dashboard's render times.

Run with `python -m bench` (see `bench/run.py`); results go to `bench/results.json`, the method and the
latest figures to `BENCHMARKS.md`.
"""
