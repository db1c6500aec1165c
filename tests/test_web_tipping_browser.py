"""The page's tipping points in a real browser (Debian's headless Chromium, as in
tests/test_web_browser.py): the button fills the table, nearest flip first, and a label that
holds markup stays text."""

from __future__ import annotations

import pytest

from test_tipping import TINY
from test_web_browser import CHROMIUM, _shot, browser, page  # noqa: F401 (pytest fixtures)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (.ci/run installs it)")

HOSTILE = TINY.replace('label = "A\'s favour"', 'label = "A\'s favour <img src=x onerror=alert(1)>"')


def test_the_button_fills_the_table_as_text(page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    page.wait_for_function("document.querySelector('#schedule-text').textContent.startsWith('stage 1')")
    page.click("#own-toml summary")
    page.fill("#toml-text", HOSTILE)
    page.click("#use-toml")
    page.wait_for_function("document.querySelector('#title').textContent === 'Two reversible favours'")
    page.wait_for_function("document.querySelector('#results').getAttribute('aria-busy') === 'false'")
    assert page.is_visible("#tipping-section") and not page.is_visible("#tipping-table")
    page.click("#find-tipping")
    page.wait_for_selector("#tipping-table:not([hidden])", timeout=60_000)
    rows = page.locator("#tipping-table tbody tr")
    assert rows.count() == 13  # every flip of the tiny scenario (3 verdicts; c, k up; w down; c, k down)
    first = [rows.nth(0).locator("td").nth(i).text_content() for i in range(6)]
    assert first[:5] == ["a self-enforcing deal exists", "c", "1", "1.502", "+0.5016 (+50%)"]
    assert first[5] == "no self-enforcing deal"
    assert "13 flips, nearest first" in page.text_content("#tipping-status")
    assert page.locator("#tipping-table img").count() == 0  # the hostile label is text
    assert "<img src=x" in page.text_content("#tipping-table")
    _shot(page, "tipping")
    page.focus("#slider-w")
    page.keyboard.press("Home")  # a new analysis: the table is stale and cleared
    page.wait_for_selector("#tipping-table", state="hidden")
    assert page.problems == []
