"""The documentation's pictures of the web page: starts `detente serve`, drives Debian's
chromium with Playwright, and writes docs/images/serve-*.png.

    .venv/bin/python tools/screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from live_server import serve  # noqa: E402
from test_web_browser import CHROMIUM, FLAGS  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "runs.duckdb") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        page.wait_for_function("document.querySelector('#schedule-text').textContent.startsWith('stage 1')")
        page.wait_for_timeout(500)  # Plotly's transitions settle
        page.screenshot(path=str(IMAGES / "serve-hanoi.png"))
        print(IMAGES / "serve-hanoi.png")
        browser.close()


if __name__ == "__main__":
    main()
