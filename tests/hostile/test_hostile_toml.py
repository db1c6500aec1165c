"""Scenario text built to make the TOML parser blow up: each is refused in one line, in
bounded time and memory, by the CLI, the forecast reader and the server."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from hostile_tools import DETENTE, measured, one_error_line
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import ScenarioError
from detente.scenario import screen
from detente.scenario.loader import load_bytes
from detente.smp.scenario import parse_forecast

DOTTED = "a." * 100_000 + "b = 1\n"  # 200 kB: 24 GB in the parser before the screen
BOMBS = {
    "dotted key": DOTTED,
    "table header": "[" + "a." * 100_000 + "b]\n",
    "array of tables": "[[" + "a." * 100_000 + "b]]\n",
    "inline table": "x = {" + "a." * 100_000 + "b = 1}\n",
    "nested arrays": "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
    "nested inline tables": "x = " + "{a = " * 50_000 + "1" + "}" * 50_000 + "\n",
    "long key": "k" * 200_000 + " = 1\n",
    "unterminated literals": "x = [" + "'a," * 100_000 + "]\n",
}


@pytest.mark.parametrize("text", BOMBS.values(), ids=BOMBS.keys())
def test_a_bomb_is_refused_by_the_reader_in_bounded_time_and_memory(text: str) -> None:
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as err:
        load_bytes(text.encode(), "bomb.toml")
    seconds = time.perf_counter() - started
    assert "\n" not in str(err.value) and str(err.value).startswith("bomb.toml: ")
    assert seconds < 1.0, seconds  # the bound: under a second
    tracemalloc.start()
    with pytest.raises(ScenarioError):
        load_bytes(text.encode(), "bomb.toml")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50e6, peak  # far under 300 MB (the parser alone took 24 GB)


def test_the_limits_are_the_documented_ones() -> None:
    with pytest.raises(ScenarioError, match="has more than 16 dotted parts"):
        screen.screen("a" + ".a" * 16 + " = 1\n", "f")
    screen.screen("a" + ".a" * 15 + " = 1\n", "f")  # 16 parts: allowed
    with pytest.raises(ScenarioError, match="nested more than 32 deep"):
        screen.screen("x = " + "[" * 33 + "]" * 33, "f")
    screen.screen("x = " + "[" * 32 + "]" * 32, "f")
    with pytest.raises(ScenarioError, match="longer than 256 characters"):
        screen.screen("k" * 257 + " = 1", "f")


def test_dots_in_strings_and_comments_are_not_keys() -> None:
    text = '[a.b]\nx = "' + "a." * 1000 + '"\n# ' + "a." * 1000 + "\ny = '''" + "a." * 1000 + "'''\n"
    screen.screen(text, "f")


def test_the_cli_refuses_the_bomb_in_one_line(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.toml"
    bomb.write_text(DOTTED)
    for command in (["scenarios", "validate"], ["solve"], ["forecast"], ["report"]):
        out = measured([*DETENTE, *command, str(bomb)], timeout=60)
        assert out.code == 2, (command, out.stderr[-2000:])
        line = one_error_line(out)
        assert line.startswith(f"error: {bomb}: line 1: the key 'a.a.a"), line
        assert out.seconds < 30, out.seconds  # the CLI's start-up included
        assert out.peak_mb < 1000, out.peak_mb  # it took 24 GB and an out-of-memory kill


def test_the_forecast_reader_screens_too() -> None:
    with pytest.raises(ScenarioError, match="dotted parts"):
        parse_forecast(DOTTED.encode(), "f.toml")


def test_a_device_or_an_endless_file_is_not_read_whole(tmp_path: Path) -> None:
    out = measured([*DETENTE, "forecast", "/dev/zero"], timeout=60)
    assert out.code == 2
    assert "not a regular file" in one_error_line(out)
    assert out.peak_mb < 1000


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("\"'[]{}=.,#\n\r\t a1\\_-") + ["\x85", "\u2028", "\u3000", "ａ", "ﬁ", "\ud800"]), max_size=60))
def test_the_screen_answers_any_text_with_at_most_a_scenario_error(text: str) -> None:
    try:
        screen.screen(text, "f")
    except ScenarioError as exc:
        assert "\n" not in str(exc)
