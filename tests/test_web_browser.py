"""The web page in a real browser: Debian's headless Chromium driven by Playwright, against
`detente serve` started as a user starts it. Screenshots go to test-artefacts/browser/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from detente import api
from detente.scenario.loader import load

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = Path(__file__).resolve().parent.parent / "test-artefacts" / "browser"
# the flags a closed network needs: no background connections, no updates, no sync
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield b
        b.close()


# console messages that fail a test: errors and warnings, and console.trace, which plotly.js
# logs its warnings with ("WARN: Invalid color specifier: ...")
COMPLAINTS = {"error", "warning", "trace", "assert"}


def _watch_console(pg) -> None:  # type: ignore[no-untyped-def]
    """Collect every complaint of ``pg``'s console, and uncaught errors, in ``pg.problems``."""
    pg.on("console", lambda m: pg.problems.append(f"console {m.type}: {m.text}") if m.type in COMPLAINTS else None)
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))


@pytest.fixture
def page(browser, live_server: str) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """A fresh page on the server, with every console error and failed request collected."""
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    pg = context.new_page()
    pg.problems = []
    _watch_console(pg)
    pg.on("requestfailed", lambda r: pg.problems.append(f"request failed: {r.url}"))
    pg.on("request", lambda r: None if r.url.startswith(live_server) or r.url.startswith("blob:") else pg.problems.append(f"left the machine: {r.url}"))
    pg.goto(live_server)
    pg.wait_for_selector("body[data-ready=true]", timeout=60_000)
    yield pg
    context.close()


def _shot(pg, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def _schedule_text(schedule: list[list[str]]) -> str:
    return "\n".join(f"stage {i + 1}: {', '.join(stage)}" for i, stage in enumerate(schedule))


def test_hanoi_loads_and_the_yongbyon_slider_changes_the_schedule(page) -> None:  # type: ignore[no-untyped-def]
    page.select_option("#scenario-select", "hanoi-2019")
    page.wait_for_function("document.querySelector('#schedule-text').textContent.startsWith('stage 1')")
    before = page.text_content("#schedule-text")
    assert before == _schedule_text(api.solve(load("hanoi-2019")).schedule)
    assert page.locator("#fig-schedule .main-svg").count() > 0, "the schedule chart is drawn"
    assert page.locator("#fig-slack .main-svg").count() > 0, "the slack heatmap is drawn"
    assert page.locator("#fig-beliefs .main-svg").count() > 0, "the beliefs are drawn"
    _shot(page, "hanoi-2019")

    # Yongbyon's share of the fissile production moves the deal most (detente sensitivity)
    page.focus("#slider-yongbyon_share")
    page.keyboard.press("End")  # the slider's top: its [uncertainty] range's, 0.7
    assert page.text_content("#value-yongbyon_share") == "0.7"
    page.wait_for_function("(before) => document.querySelector('#schedule-text').textContent !== before", arg=before)
    page.wait_for_function("document.querySelector('#results').getAttribute('aria-busy') === 'false'")
    after = page.text_content("#schedule-text")
    assert after == _schedule_text(api.solve(load("hanoi-2019", {"yongbyon_share": 0.7})).schedule)
    assert after != before
    _shot(page, "hanoi-2019-yongbyon-0.7")
    assert page.problems == []


def test_a_broken_toml_upload_shows_the_one_line_error(page) -> None:  # type: ignore[no-untyped-def]
    page.click("#own-toml summary")
    page.set_input_files("#toml-file", files=[{"name": "broken.toml", "mimeType": "text/plain", "buffer": b"[scenario\nid = 1\n"}])
    page.wait_for_selector("#error:not([hidden])")
    error = page.text_content("#error")
    assert error.startswith("posted TOML: invalid TOML:"), error
    assert "\n" not in error
    _shot(page, "broken-toml")
    assert [p for p in page.problems if "422" not in p] == []  # the refused request is the only complaint


def test_a_simulation_runs_in_the_background_with_progress(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("document.querySelector('#schedule-text').textContent.startsWith('stage 1')")
    page.fill("#samples", "8")
    page.click("#simulate")
    page.wait_for_function("document.querySelector('#sim-status').textContent.startsWith('complete')", timeout=120_000)
    assert "8 of 8 histories" in page.text_content("#sim-status")
    assert page.locator("#fig-simulation .main-svg").count() > 0
    _shot(page, "simulation")
    assert page.problems == []


def test_the_six_party_forecast_draws_a_chart_per_dimension(page) -> None:  # type: ignore[no-untyped-def]
    page.select_option("#scenario-select", "korea-six-party-2019")
    page.wait_for_selector("#forecast-figures .main-svg")
    page.wait_for_function("document.querySelector('#results').getAttribute('aria-busy') === 'false'")
    dims = len(api.forecast("korea-six-party-2019").dimensions)
    assert page.locator("#forecast-figures .figure").count() == dims
    assert page.locator("#verdicts li").count() == 6  # one "why it moved" per actor
    _shot(page, "korea-six-party-2019")
    with page.expect_download(timeout=120_000) as report:
        page.click("#download-report")
    assert report.value.suggested_filename == "detente-report.html"
    text = Path(report.value.path()).read_text()
    assert text.startswith("<!DOCTYPE html>") and "The six parties after Hanoi, 2019" in text
    assert page.problems == []


def test_the_report_and_the_toml_download(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("document.querySelector('#schedule-text').textContent.startsWith('stage 1')")
    with page.expect_download(timeout=120_000) as report:
        page.click("#download-report")
    saved = tmp_path / "report.html"
    report.value.save_as(saved)
    text = saved.read_text()
    assert text.startswith("<!DOCTYPE html>") and "US–DPRK after the Hanoi summit" in text
    assert "Plotly.newPlot" in text or "Plotly.react" in text
    with page.expect_download() as toml:
        page.click("#download-toml")
    assert toml.value.suggested_filename == "hanoi-2019.toml"
    toml.value.save_as(tmp_path / "hanoi.toml")
    assert load(str(tmp_path / "hanoi.toml")).parameters == load("hanoi-2019").parameters
    assert page.problems == []
    # the report itself, opened from disk: every chart drawn, not a word from the console
    shown = page.context.new_page()
    shown.problems = []
    _watch_console(shown)
    shown.on("request", lambda r: None if r.url == saved.as_uri() else shown.problems.append(f"left the file: {r.url}"))
    shown.goto(saved.as_uri())
    shown.wait_for_function("document.querySelectorAll('.main-svg').length > 0")
    shown.wait_for_load_state("load")
    charts = text.count('class="plotly-graph-div"')
    shown.wait_for_function(f"document.querySelectorAll('.plot-container').length >= {charts}")
    _shot(shown, "report-hanoi-2019")
    assert shown.problems == []
