"""The dashboard served by `streamlit run` and rendered by a real headless Chromium.

AppTest runs the scripts but no browser: this catches what only the frontend shows (chart specs Vega
rejects, JavaScript errors, exceptions rendered into the page). Screenshots land in tests/artifacts/.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dashboards_support import build_published_db, sample_incidents

from dashboards.run import streamlit_command

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
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
TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(published: Path, workdir: Path) -> Iterator[str]:
    """`streamlit run` exactly as the CLI starts it, from an unrelated working directory."""
    port = free_port()
    log_path = workdir / "streamlit.log"
    env = {**os.environ, "INCIDENT_LAKE_PUBLISHED_DB": str(published)}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            streamlit_command(port), cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def render(browser, url: str, screenshot: str) -> tuple[str, list[str], list[str]]:
    """Open `url`, wait until Streamlit has finished the run and drawn every chart, take a screenshot.

    Returns the page title (h1), the JavaScript errors seen, and the sidebar navigation links.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    js_errors: list[str] = []
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    try:
        page.goto(url, timeout=TIMEOUT_MS)
        page.wait_for_selector("h1", timeout=TIMEOUT_MS)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=\"stApp\"]')"
            "?.getAttribute('data-test-script-state') === 'notRunning'",
            timeout=TIMEOUT_MS,
        )
        # Vega draws after the script run has finished.
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]')]"
            ".every(chart => chart.querySelector('canvas, svg'))",
            timeout=TIMEOUT_MS,
        )
        page.wait_for_timeout(500)  # let fonts and layout settle for the screenshot
        assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0, page.inner_text("body")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # Streamlit scrolls inside its main container: grow the viewport to show the whole page.
        height = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 1000"
        )
        page.set_viewport_size({"width": 1400, "height": min(max(1000, int(height) + 40), 12000)})
        page.wait_for_timeout(300)
        page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
        links = [
            href
            for href in page.locator('[data-testid="stSidebarNavLink"]').evaluate_all(
                "links => links.map(link => link.href)"
            )
            if href
        ]
        return page.inner_text("h1"), js_errors, links
    finally:
        page.close()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


PAGE_TITLES = {
    "severity": "Severity",
    "explorer": "Incident explorer",
    "people": "People and roles",
    "follow_ups": "Follow-ups",
    "data_health": "Data health",
    "teams": "Teams",
    "oncall": "On-call",
    "post_incident": "Post-incident",
}


def test_every_page_renders_in_chromium(browser, tmp_path: Path, definitions) -> None:
    published = build_published_db(tmp_path / "published.duckdb", sample_incidents(), definitions=definitions)
    with streamlit_server(published, tmp_path) as base_url:
        title, js_errors, links = render(browser, base_url + "/", "dashboard-home.png")
        assert title == "Overview"
        assert not js_errors
        pages = {url.rsplit("/", 1)[-1]: url for url in set(links) - {base_url + "/"}}
        assert set(pages) == set(PAGE_TITLES)  # every page is in the navigation
        for name, url in sorted(pages.items()):
            title, js_errors, _ = render(browser, url, f"dashboard-{slug(name)}.png")
            assert title == PAGE_TITLES[name]
            assert not js_errors, url


def test_first_run_page_renders_in_chromium_and_render_times_are_measured(browser, tmp_path: Path) -> None:
    from bench.measure_render import measure_pages

    with streamlit_server(tmp_path / "not-published-yet.duckdb", tmp_path) as base_url:
        title, js_errors, _ = render(browser, base_url + "/", "dashboard-first-run.png")
        assert title == "incident-lake"
        assert not js_errors
        # The benchmark's helper, on the one-page first-run app (the full app is timed by `make bench`).
        timings = measure_pages(base_url, repeat=1, browser=browser)
    assert [t.title for t in timings] == ["incident-lake"]
    assert timings[0].errors == 0 and 0 < timings[0].seconds < 60
