"""Charts as PNG or SVG files, for papers (kaleido 1.x, driving an installed Chrome/Chromium).

Kaleido never downloads a browser here: it uses $BROWSER_PATH if set, else the first Chrome or
Chromium on PATH (chromium, chromium-browser, google-chrome, ...) or in its usual place
(/usr/bin/chromium). MathJax is switched off, since kaleido would fetch it from a CDN.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

import plotly.graph_objects as go

from detente.errors import ScenarioError

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
TYPICAL = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
WIDTH = 1000


def find_browser() -> str | None:
    """The browser kaleido will drive: $BROWSER_PATH, else a Chrome or Chromium found locally."""
    if set_path := os.environ.get("BROWSER_PATH"):
        return set_path if Path(set_path).is_file() else None
    for name in BROWSERS:
        if found := shutil.which(name):
            return found
    return next((p for p in TYPICAL if os.access(p, os.X_OK)), None)


def file_name(key: str, fmt: str) -> str:
    """A figure's key ("slack:us-big-deal") as a file name ("slack-us-big-deal.png")."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", key).strip("-") + "." + fmt


def write_figures(figs: Mapping[str, go.Figure], directory: Path, fmt: str) -> list[Path]:
    """Write every figure as DIRECTORY/KEY.FMT in one browser session; the paths written."""
    try:
        import kaleido  # optional: pip install 'detente[figures]'
    except ImportError:
        raise ScenarioError("--figures", "", "needs kaleido: pip install 'detente[figures]'") from None
    browser = find_browser()
    if browser is None:
        where = os.environ.get("BROWSER_PATH")
        reason = (f"BROWSER_PATH={where} is not a file" if where else
                  "no Chrome or Chromium found (install one, e.g. apt install chromium, or set BROWSER_PATH)")
        raise ScenarioError("--figures", "", f"PNG/SVG export needs a browser: {reason}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(str(directory), "--figures", f"cannot create the folder: {exc.strerror}") from None
    paths = [directory / file_name(k, fmt) for k in figs]
    specs = [
        {"fig": fig.to_dict(), "path": path,
         "opts": {"format": fmt, "width": WIDTH, "height": fig.layout.height or 500, "scale": 2 if fmt == "png" else 1}}
        for fig, path in zip(figs.values(), paths, strict=True)
    ]
    try:
        kaleido.write_fig_from_object_sync(specs, kopts={"mathjax": False, "path": browser})
    except Exception as exc:  # kaleido and choreographer raise many kinds; one line says which
        raise ScenarioError(str(directory), "--figures", f"kaleido failed with {browser}: {type(exc).__name__}: {exc}") from None
    return paths
