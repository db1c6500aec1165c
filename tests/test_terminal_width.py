"""Every command's text output at 80 and 120 columns: no line wider than the terminal, nothing
shortened with "…", and every number of the command's JSON output that the command prints at all
(in a terminal wide enough for every table) printed intact.

A JSON number counts as printed when some number in the text equals it at the text's precision
(``-0.17`` prints -0.1734; a percentage ``59%`` prints 0.59; a non-integer never matches a whole
number). A number the command prints at 300 columns must be printed at 80 and 120 as well, and
the narrow text may hold no number the wide text lacks (a number cut in two would).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from detente.cli.app import app
from detente.store import RunStore, default_store_path

runner = CliRunner()
WIDE = 300
NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?%?")
ELAPSED = re.compile(r"\d+\.\d\s+s\b")  # "2.0 s, serial": the run's time, which differs from run to run

# each command on small, fast inputs (with --json it must print the same result)
COMMANDS: dict[str, list[str]] = {
    "run": ["run", "hanoi-2019", "--no-tipping"],
    "solve": ["solve", "hanoi-2019", "--no-store"],
    "audit": ["audit", "hanoi-2019", "--proposal", "dprk-hanoi-offer", "--types"],
    "beliefs": ["beliefs", "hanoi-2019"],
    "signals": ["signals", "hanoi-2019"],
    "offers": ["offers", "hanoi-2019"],
    "simulate": ["simulate", "hanoi-2019", "--samples", "20", "--workers", "1", "--no-store"],
    "sensitivity": ["sensitivity", "hanoi-2019", "--samples", "8", "--workers", "1", "--no-store"],
    "forecast": ["forecast", "--no-store"],
    "forecast-samples": ["forecast", "--samples", "8", "--workers", "1", "--no-store"],
    "backtest": ["backtest", "--no-store"],
    "tipping": ["tipping", "jcpoa-2015", "--steps", "4", "--workers", "1", "--no-offers"],
    "sweep": ["sweep", "jcpoa-2015", "snapback_cost=0:4:2", "ap_detection=0.5:0.9:0.4", "--workers", "1"],
    "compare": ["compare", "hanoi-2019", "--set", "leakage=0.7"],
}


def _invoke(args: list[str], width: int) -> str:
    """The command's output in a terminal ``width`` columns wide, its elapsed time left out."""
    result = runner.invoke(app, args, env={"COLUMNS": str(width)})
    assert result.exit_code == 0, (args, width, result.stdout, result.exception)
    return ELAPSED.sub("", result.stdout)


def _tokens(text: str) -> list[tuple[float, int, bool]]:
    """The numbers in ``text``: (value, decimals, a percentage)."""
    out = []
    for m in NUMBER.finditer(text):
        s = m.group().replace("−", "-")
        pct = s.endswith("%")
        s = s.rstrip("%")
        out.append((float(s), len(s.partition(".")[2]), pct))
    return out


def _numbers(obj: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """Every number in a JSON value, with its path (``.runs[0].seconds``)."""
    if isinstance(obj, bool) or obj is None:
        return
    if isinstance(obj, int | float):
        yield path, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _numbers(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _numbers(v, f"{path}[{i}]")


def _printed(x: float, tokens: list[tuple[float, int, bool]]) -> bool:
    for t, decimals, pct in tokens:
        if x != int(x) and decimals == 0 and not pct:
            continue
        if abs((100 * x if pct else x) - t) <= 0.5 * 10**-decimals + 1e-9:
            return True
    return False


def _check(args: list[str], data: Any, dropped: re.Pattern[str] | None = None) -> None:
    """``args``' text at 80 and 120 columns against its JSON ``data`` and its text at WIDE;
    numbers whose path matches ``dropped`` may give way below 100 columns."""
    wide = _invoke(args, WIDE)
    wide_tokens = _tokens(wide)
    shown = [(p, x) for p, x in _numbers(data) if p != ".seconds" and _printed(x, wide_tokens)]
    assert shown, "the text prints none of the JSON's numbers"
    for width in (80, 120):
        text = _invoke(args, width)
        assert "…" not in text, (width, text)
        over = [line for line in text.splitlines() if len(line) > width]
        assert not over, (width, over)
        tokens = _tokens(text)
        missing = [
            (p, x)
            for p, x in shown
            if not _printed(x, tokens) and not (dropped and width < 100 and dropped.search(p))
        ]
        assert not missing, (width, missing[:10], text)
        stray = {m for m in NUMBER.findall(text)} - set(NUMBER.findall(wide))
        assert not stray, (width, stray, text)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_numbers_survive_a_narrow_terminal(name: str) -> None:
    args = COMMANDS[name]
    data = json.loads(_invoke([*args, "--json"], WIDE))
    _check(args, data)


def test_runs_list_show_and_diff_survive_a_narrow_terminal() -> None:
    store = RunStore(default_store_path())  # the per-test store from conftest
    rids = []
    for leakage, seconds in ((0.35, 0.25), (0.7, 12.5), (-0.125, 1234.5)):
        rid = store.begin(
            "simulate",
            "us-japan-semiconductors-1986",
            "sha256:abc",
            "[scenario]\n",
            {"leakage": leakage},
            {"leakage": leakage, "yongbyon_share": 0.625},
            7,
            {"samples": 1000, "strategies": ["summit-first", "working-2"]},
            "0.1.0",
        )
        rows = [{"strategy": "summit-first", "p_signed": 0.5 + leakage / 4, "summits": 2}]
        store.finish(rid, "complete", seconds, {"seconds": seconds, "strategies": rows}, {"strategies": rows})
        rids.append(rid)
    store.begin("solve", "hanoi-2019", "h", "toml", {}, {}, None, {}, "0.1.0")
    data = json.loads(_invoke(["runs", "list", "--json"], WIDE))
    # below 100 columns the seconds and seed give way to the summary (docs/reference/runs.md)
    _check(["runs", "list"], data, dropped=re.compile(r"\.(seconds|seed)$"))
    for args in (["runs", "show", rids[2]], ["runs", "diff", rids[0], rids[2]]):
        _check(args, json.loads(_invoke([*args, "--json"], WIDE)))


def test_scenarios_list_fits() -> None:
    for width in (80, 120):
        text = _invoke(["scenarios", "list"], width)
        assert "…" not in text
        assert all(len(line) <= width for line in text.splitlines())
        assert set(NUMBER.findall(text)) == set(NUMBER.findall(_invoke(["scenarios", "list"], WIDE)))
