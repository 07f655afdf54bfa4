# ruff: noqa: E501  (markdown templates read better unwrapped)
"""The figures part of BENCHMARKS.md, written from `bench/results.json` (never typed by hand).

`python -m bench` rewrites what lies between the two markers below in BENCHMARKS.md after every run;
`python -m bench.report` does it from the current results.json alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.measure import ROOT

BENCHMARKS = ROOT / "BENCHMARKS.md"
START = "<!-- figures:start (written by `python -m bench` from bench/results.json; do not edit) -->"
END = "<!-- figures:end -->"
TARGETS = {
    "ingest_vs_dlt_speedup": (">=", 10.0),
    "ingest_vs_dlt_peak_rss_ratio": ("<=", 0.5),
    "ingest_over_floor": ("<=", 3.0),
}
KEYS = (
    "ingest_vs_dlt_speedup",
    "ingest_vs_dlt_peak_rss_ratio",
    "ingest_over_floor",
    "full_sync_requests_over_minimum",
    "resync_requests_over_full",
    "rate_limited_wall_over_bound",
)


def _num(value: Any, fmt: str = "{:g}") -> str:
    return "—" if value is None else fmt.format(value)


def _when(section: dict[str, Any]) -> str:
    return f"measured {section.get('measured_at', '?')} at commit `{section.get('commit', '?')}`"


def markdown(results: dict[str, Any]) -> str:
    s = results.get("sections", {})
    out: list[str] = [f"Machine: {results.get('machine', '?')}.", ""]
    out += ["| key (bench/results.json) | value | target |", "|---|---:|---|"]
    for key in KEYS:
        value = results.get(key)
        target = TARGETS.get(key)
        verdict = ""
        if target and value is not None:
            ok = value >= target[1] if target[0] == ">=" else value <= target[1]
            verdict = f"{target[0]} {target[1]:g}: {'met' if ok else '**missed**'}"
        out.append(f"| `{key}` | {_num(value)} | {verdict} |")
    out.append("")

    if ing := s.get("ingest"):
        out += [
            f"### 1–2. Ingest against dlt and against the `read_json` floor ({ing['size']})",
            "",
            f"{ing['records']} records in {len(ing['tables_compared'])} tables "
            f"(mismatches ours/dlt: {ing['row_mismatches'] or 'none'}, ours/floor: {ing.get('floor_row_mismatches') or 'none'}); median of {ing['rounds']} interleaved "
            f"round(s); {_when(ing)}. Requests per run: ours {ing['requests'].get('ours')}, "
            f"dlt {ing['requests'].get('dlt')}. The floor loads the {ing['recorded_pages'].get('pages')} pages "
            f"({ing['recorded_pages'].get('bytes', 0) / 2**20:.0f} MiB of JSON) our sync received.",
            "",
            "| side | seconds (timed region) | records/s | peak RSS (MB) | process wall (s) | process CPU (s) | sandbox CPU (s) | all rounds (s) |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for name, label in (("ours", "incident-lake `run_sync`"), ("dlt", f"dlt {ing['dlt'].get('version')}"),
                            ("floor", "DuckDB `read_json` floor")):  # fmt: skip
            x = ing[name]
            out.append(
                f"| {label} | {x['seconds']:.2f} | {x['records_per_second']:.0f} | {x['peak_rss_mb']:.0f} | "
                f"{x['process_wall_seconds']:.2f} | {_num(x.get('cpu_seconds'))} | {_num(x.get('sandbox_cpu_seconds'))} | "
                f"{', '.join(f'{v:.1f}' for v in x['all_seconds'])} |"
            )
        out += [
            "",
            f"Ratios: records/s ours ÷ dlt = **{ing['ingest_vs_dlt_speedup']}**, wall ours ÷ dlt = "
            f"{ing['ingest_vs_dlt_wall_ratio']}, peak RSS ours ÷ dlt = **{ing['ingest_vs_dlt_peak_rss_ratio']}**, "
            f"time ours ÷ floor = **{ing['ingest_over_floor']}**.",
            "",
            "dlt's stages (median seconds): "
            + ", ".join(f"{k} {v:.1f} s" for k, v in (ing["dlt"].get("stage_seconds") or {}).items())
            + "; its process's peak RSS at the end of each stage (a high-water mark, first round): "
            + ", ".join(
                f"{k} {v:.0f} MB" for k, v in (ing["dlt"].get("peak_rss_mb_after_stage") or {}).items()
            )
            + ".",
            "",
        ]
    if req := s.get("requests"):
        out += [
            f"### 3. Requests ({req['size']})",
            "",
            f"{_when(req)}. Full sync: {req['full_sync_requests']} requests against a minimum of "
            f"{req['minimum_requests']} (**{req['full_sync_requests_over_minimum']}×**) in "
            f"{req['full_sync_seconds']:.1f} s. Second sync with no changes: {req['resync_requests']} requests "
            f"(**{req['resync_requests_over_full']}** of the full sync's) in {req['resync_seconds']:.1f} s "
            f"({req['resync_seconds_over_full']} of its time); rows it found new or changed: "
            f"{req['resync_new_or_updated_rows']}.",
            "",
            "| API | endpoint | full sync | minimum | full ÷ minimum | re-sync |",
            "|---|---|---:|---:|---:|---:|",
        ]
        for e in req["endpoints"]:
            ratio = "—" if e["over_minimum"] is None else f"{e['over_minimum']:.2f}"
            out.append(
                f"| {e['api']} | `{e['endpoint']}` | {e['full_sync']} | {e['minimum']} | {ratio} | {e['resync']} |"
            )
        out.append("")
    if rl := s.get("rate_limited"):
        per_api = ", ".join(f"{a} {v:.1f} s" for a, v in sorted(rl["bound_per_api"].items()))
        per_source = ", ".join(f"{a} {v:.1f} s" for a, v in rl["per_source_seconds"].items())
        out += [
            f"### 4. Under the documented rate limits ({rl['size']}, sandbox `{rl['faults']}`)",
            "",
            f"{_when(rl)}. Full sync: **{rl['seconds']:.1f} s** against a bound of **{rl['bound_seconds']:.1f} s** "
            f"set by {rl['bound_binding_api']} (**{rl['rate_limited_wall_over_bound']}×**). At real speed that "
            f"is ≈ {rl['seconds_at_real_speed'] / 60:.0f} min against ≈ {rl['bound_at_real_speed'] / 60:.0f} min. "
            f"Bound per API: {per_api}. Time per source: {per_source}. 429 answers: {rl['rejected_429'] or 'none'}; "
            f"{rl['requests']} requests in all.",
            "",
        ]
    if sc := s.get("scaling"):
        out += [
            "### 5. Scaling (the CLI through Dagster, as a user runs it)",
            "",
            f"{_when(sc)}. Wall seconds / peak RSS (MB, the whole process tree: dbt runs as a child).",
            "",
            "| size | raw records | warehouse MB | sync | dbt build | export |",
            "|---|---:|---:|---|---|---|",
        ]
        for size, row in sc["sizes"].items():
            cells = " | ".join(
                f"{row[k]['seconds']:.1f} s / {row[k]['peak_rss_mb']:.0f} MB"
                for k in ("sync", "build", "export")
            )
            out.append(f"| {size} | {row['raw_records']} | {row['warehouse_mb']:.0f} | {cells} |")
        for step, g in sc["growth"].items():
            cells = " | ".join(
                f"×{g[f'{k}_seconds']:.1f} / ×{g[f'{k}_peak_rss_mb']:.1f}"
                for k in ("sync", "build", "export")
            )
            out.append(f"| growth {step} | ×{g['records']:.1f} | | {cells} |")
        out.append("")
    if db := s.get("dashboard"):
        out += [
            f"### 6. Dashboard render ({db['size']} warehouse, headless Chromium)",
            "",
            f"{_when(db)}. Each page opened {db['repeat']}× in a fresh tab (a fresh Streamlit session); the "
            "first visit runs the page's queries, later ones hit Streamlit's cache.",
            "",
            "| page | first visit (s) | best (s) | errors |",
            "|---|---:|---:|---:|",
        ]
        for p in db["pages"]:
            out.append(
                f"| {p['title']} | {p['first_seconds']:.2f} | {p['best_seconds']:.2f} | {p['errors']} |"
            )
        out.append("")
    timed = {name: sec.get("section_seconds") for name, sec in s.items() if sec.get("section_seconds")}
    if timed:
        parts = ", ".join(f"{name} {sec / 60:.1f} min" for name, sec in timed.items())
        out.append(
            f"Time per section: {parts}; in all {sum(timed.values()) / 60:.0f} min, which is what one "
            "`make bench` of these sections and sizes takes on this machine (plus installing the extra)."
        )
    return "\n".join(out).rstrip() + "\n"


def update_benchmarks_md(results: dict[str, Any], path: Path = BENCHMARKS) -> bool:
    """Replace the figures between the markers; False when the file or its markers are missing."""
    if not path.exists():
        return False
    text = path.read_text()
    if START not in text or END not in text:
        return False
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{START}\n{markdown(results)}{END}{tail}")
    return True


if __name__ == "__main__":
    data = json.loads((ROOT / "bench" / "results.json").read_text())
    print("updated" if update_benchmarks_md(data) else "BENCHMARKS.md or its markers missing")
