"""Time how long each page of a running dashboard takes to render in headless Chromium.

    python -m bench.measure_render http://127.0.0.1:8501 [--repeat 2] [--json] [--only teams,oncall]

For every page of the navigation, a fresh browser tab (so a fresh Streamlit session) opens the page's URL;
the clock stops when Streamlit has finished: the script run is over (`data-test-script-state` is
`notRunning`), the status widget shows no running state, no spinner or skeleton is left, and every
Vega-Lite chart has drawn its canvas. The benchmark calls `measure_pages`. Needs the `playwright` Python
package (a dev dependency) and a Chromium (Debian's `/usr/bin/chromium` by default).

Cold and warm: each page is visited `repeat` times in a row. The first visit (`first_seconds`) is the
first of the page in this dashboard process; the later ones (`warm_seconds`, their best) are served
from the query cache. The dashboard warms every page's default queries in the background when it sees
a snapshot version, so for a cold first visit start it with `INCIDENT_LAKE_DASHBOARD_WARMUP=false`; with
the warm-up on (the default), wait for its log line (`warmed every page's default queries`) before
measuring what a visitor sees after a publish.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}

# True once Streamlit has finished the run and drawn everything (evaluated in the page).
_RENDERED_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (!document.querySelector('[data-testid="stMain"] h1')) return false;
  const status = document.querySelector('[data-testid="stStatusWidget"]');
  if (status && /running|connecting/i.test(status.innerText || '')) return false;
  if (document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"]')) return false;
  return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
    .every(chart => chart.querySelector('canvas, svg'));
}
"""


@dataclass(frozen=True)
class PageTiming:
    """One page's render times in seconds (navigation start until rendered), each visit a fresh session."""

    url: str
    title: str  # the page's h1
    seconds: float  # the best of the visits
    all_seconds: tuple[float, ...]  # every visit, in order
    errors: int  # exception and error elements on the page (should be 0)
    first_seconds: float = 0.0  # the first visit (cold unless the dashboard's warm-up ran before)
    warm_seconds: float | None = None  # the best of the later visits (cached queries); None with one visit


_Visit = tuple[float, str, int]  # seconds until rendered, h1 text, error elements


def _visit(browser: Any, url: str, timeout_ms: int) -> tuple[_Visit, list[str]]:
    """One fresh session on `url`: its timing and the hrefs of the sidebar's navigation links."""
    page = browser.new_page(viewport=VIEWPORT)
    try:
        started = time.perf_counter()
        page.goto(url, timeout=timeout_ms)
        page.wait_for_function(_RENDERED_JS, timeout=timeout_ms, polling=25)
        elapsed = time.perf_counter() - started
        errors = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
        links = page.locator('[data-testid="stSidebarNavLink"]').evaluate_all("ls => ls.map(l => l.href)")
        return (elapsed, page.locator("h1").first.inner_text(), errors), list(links)
    finally:
        page.close()


def page_urls(browser: Any, base_url: str, timeout_ms: int) -> list[str]:
    """The home page plus every page of the sidebar navigation."""
    return _home_and_links(browser, base_url, timeout_ms)[0]


def _home_and_links(browser: Any, base_url: str, timeout_ms: int) -> tuple[list[str], _Visit]:
    """The page URLs (home first) and the timing of that first visit of the home page."""
    visit, links = _visit(browser, base_url, timeout_ms)
    home = urljoin(base_url, "/")
    return [home, *sorted({link for link in links if link and link != home})], visit


def time_page(browser: Any, url: str, timeout_ms: int) -> tuple[float, str, int]:
    """(seconds until rendered, h1 text, error elements) for one fresh session on `url`."""
    return _visit(browser, url, timeout_ms)[0]


def measure_pages(
    base_url: str,
    repeat: int = 1,
    chromium: Path | str = DEFAULT_CHROMIUM,
    timeout_s: float = 120,
    browser: Any = None,
    only: tuple[str, ...] = (),
) -> list[PageTiming]:
    """Open every page of the app at `base_url` `repeat` times in headless Chromium; time each render.

    The first visit of a page includes its queries unless the dashboard's warm-up ran them (see the
    module's docstring); later visits show the cached render time. Per page: `first_seconds`,
    `warm_seconds` (best later visit), `seconds` (best of all), `all_seconds` (every visit). The home
    page's first visit is the one that also reads the navigation. `only` keeps the pages whose URL path
    is one of these (e.g. `teams`; `home` is the home page); empty: all. Raises Playwright's
    TimeoutError when a page does not settle within `timeout_s`.
    """
    timeout_ms = int(timeout_s * 1000)
    if browser is not None:  # a Playwright Browser the caller already runs
        return _measure(browser, base_url, repeat, timeout_ms, only)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            return _measure(launched, base_url, repeat, timeout_ms, only)
        finally:
            launched.close()


def _measure(
    browser: Any, base_url: str, repeat: int, timeout_ms: int, only: tuple[str, ...] = ()
) -> list[PageTiming]:
    results: list[PageTiming] = []
    urls, home_visit = _home_and_links(browser, base_url, timeout_ms)
    home = urls[0]
    if only:
        urls = [
            url
            for url in urls
            if url.rstrip("/").rsplit("/", 1)[-1] in only or (url == home and "home" in only)
        ]
    for url in urls:
        # The home page's first visit already happened (it listed the pages): it counts as its first.
        runs = [home_visit] if url == home else []
        runs += [time_page(browser, url, timeout_ms) for _ in range(max(1, repeat) - len(runs))]
        seconds = tuple(round(r[0], 3) for r in runs)
        results.append(
            PageTiming(
                url=url,
                title=runs[0][1],
                seconds=min(seconds),
                all_seconds=seconds,
                errors=max(r[2] for r in runs),
                first_seconds=seconds[0],
                warm_seconds=min(seconds[1:]) if len(seconds) > 1 else None,
            )
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the running app, e.g. http://127.0.0.1:8501")
    parser.add_argument("--repeat", type=int, default=2, help="visits per page (first one cold)")
    parser.add_argument("--chromium", default=str(DEFAULT_CHROMIUM))
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument(
        "--only", default="", help="comma-separated URL paths of the pages to time (e.g. home,teams,oncall)"
    )
    args = parser.parse_args(argv)
    only = tuple(p.strip() for p in args.only.split(",") if p.strip()) if args.only else ()
    timings = measure_pages(args.url, repeat=args.repeat, chromium=args.chromium, only=only)
    if args.json:
        print(json.dumps([asdict(t) for t in timings], indent=2))
    else:
        for t in timings:
            runs = ", ".join(f"{s:.2f}" for s in t.all_seconds)
            warm = "—" if t.warm_seconds is None else f"{t.warm_seconds:.2f} s"
            print(
                f"{t.title:<22} first {t.first_seconds:6.2f} s  warm {warm:>7}  (runs: {runs})  "
                f"errors: {t.errors}  {t.url}"
            )
    return 1 if any(t.errors for t in timings) else 0


if __name__ == "__main__":
    sys.exit(main())
