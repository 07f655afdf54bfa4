# ruff: noqa: E501  (markdown templates read better unwrapped)
"""The figures part of BENCHMARKS.md, written from `bench/results.json` (never typed by hand).

`python -m bench` rewrites what lies between the two markers below in BENCHMARKS.md after every run;
`python -m bench.report` does it from the current results.json alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.goals import format_goal, format_value, headline_targets, judge, meets
from bench.measure import ROOT

BENCHMARKS = ROOT / "BENCHMARKS.md"
START = "<!-- figures:start (written by `python -m bench` from bench/results.json; do not edit) -->"
END = "<!-- figures:end -->"
# The steps of section 5, in the order of its table.
STEP_LABELS = {
    "sync": "sync",
    "build": "build (from scratch)",
    "export": "export",
    "run_no_change": "run, nothing changed",
    "run_typical_hour": "run, a typical hour",
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


def goals_json(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The verdicts of `bench.goals.judge` as results.json keeps them: key, what, size, value, unit,
    measured_size, goal (`≤ 10 s at default`) and status (`met`, `missed`, `not measured at …`, …)."""
    return [
        {
            "key": v.goal.key,
            "what": v.goal.what,
            "size": v.goal.size,
            "value": v.value,
            "unit": v.goal.unit,
            "measured_size": v.measured_size,
            "goal": format_goal(v.goal),
            "status": v.status,
        }
        for v in judge(results)
    ]


def goals_markdown(results: dict[str, Any]) -> list[str]:
    """The "Goals (issue 15)" table: every goal's figure from `results`, the goal, and met/missed."""
    out = [
        "### Goals (issue 15)",
        "",
        "| what | measured | goal | verdict | how |",
        "|---|---:|---|---|---|",
    ]
    for v in judge(results):
        status = f"**{v.status}**" if v.met is False else v.status
        out.append(
            f"| {v.goal.what} | {format_value(v.value, v.goal.unit)} | {format_goal(v.goal)} | {status} | {v.goal.note} |"
        )
    judged = [v for v in judge(results) if v.met is not None]
    out += [
        "",
        f"{sum(1 for v in judged if v.met)} of {len(judged)} judged goals met; a figure measured at another "
        "size than its goal's is shown but not judged.",
        "",
    ]
    return out


def markdown(results: dict[str, Any]) -> str:
    s = results.get("sections", {})
    out: list[str] = [f"Machine: {results.get('machine', '?')}.", ""]
    out += goals_markdown(results)
    out += ["### Headline keys", ""]
    out += ["| key (bench/results.json) | value | target |", "|---|---:|---|"]
    for key in KEYS:
        value = results.get(key)
        target = headline_targets().get(key)
        verdict = ""
        if target and value is not None:
            ok = meets(target[0], target[1], value)
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
        steps = [k for k in STEP_LABELS if any(k in row for row in sc["sizes"].values())]
        out += [
            "### 5. Scaling (the CLI through Dagster, as a user runs it)",
            "",
            f"{_when(sc)}. Wall seconds / peak RSS (MB, the whole process tree: dbt runs as a child); "
            f"`run` rows: the median of {sc.get('rounds', 1)} round(s) in turns.",
            "",
            "| size | raw records | warehouse MB | " + " | ".join(STEP_LABELS[k] for k in steps) + " |",
            "|---|---:|---:|" + "---|" * len(steps),
        ]
        for size, row in sc["sizes"].items():
            cells = " | ".join(
                f"{row[k]['seconds']:.1f} s / {row[k]['peak_rss_mb']:.0f} MB" if k in row else "—"
                for k in steps
            )
            out.append(f"| {size} | {row['raw_records']} | {row['warehouse_mb']:.0f} | {cells} |")
        for step, g in sc["growth"].items():
            cells = " | ".join(
                f"×{g[f'{k}_seconds']:.1f} / ×{g[f'{k}_peak_rss_mb']:.1f}" if f"{k}_seconds" in g else "—"
                for k in steps
            )
            out.append(f"| growth {step} | ×{g['records']:.1f} | | {cells} |")
        for step, g in sc["growth"].items():
            cells = " | ".join(
                f"×{g[f'{k}_seconds_per_10x']:.2f} / ×{g[f'{k}_peak_rss_mb_per_10x']:.2f}"
                if g.get(f"{k}_seconds_per_10x") and g.get(f"{k}_peak_rss_mb_per_10x")
                else "—"
                for k in steps
            )
            out.append(f"| per 10× data, {step} | ×10 | | {cells} |")
        hours = {size: row["typical_hour"] for size, row in sc["sizes"].items() if "typical_hour" in row}
        if hours:
            out += [
                "",
                "A typical hour of change (the sandbox's `typical_hour`): "
                + "; ".join(
                    f"{size}: {h['updated_incidents']:g} incidents updated, {h['new_messages']:g} new Slack messages"
                    for size, h in hours.items()
                )
                + ".",
            ]
        out.append("")
    if db := s.get("dashboard"):
        out += [
            f"### 6. Dashboard render ({db['size']} warehouse, headless Chromium)",
            "",
            f"{_when(db)}. Each page opened {db['repeat']}× in a fresh tab (a fresh Streamlit session); the "
            "first visit runs the page's queries, later ones (warm: the best of them) hit the caches.",
            "",
            "| page | first visit (s) | warm (s) | errors |",
            "|---|---:|---:|---:|",
        ]
        for p in db["pages"]:
            warm = p.get("warm_seconds", p.get("best_seconds"))
            out.append(
                f"| {p['title']} | {p['first_seconds']:.2f} | {_num(warm, '{:.2f}')} | {p['errors']} |"
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
