"""`detente forecast`: the SMP run of tests/test_smp.py through the CLI and the API,
its explanations, its record in the run store, and bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import detente
from detente.store import RunStore

SOE = Path(__file__).parent / "data" / "ktab" / "SOE-Pol-Comp.csv"


def _cli(*args: str, store: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100"}
    if store is not None:
        env["DETENTE_STORE"] = str(store)
    return subprocess.run([sys.executable, "-m", "detente", *args], capture_output=True, text=True, timeout=120, env=env)


def test_the_api_explains_each_actors_largest_move() -> None:
    r = detente.forecast(SOE)
    assert r.turns_run == 27 and r.converged
    why = {w.actor: w for w in r.why}
    assert len(why) == 13
    # the reference's history: XS goes from (15.0, 10.0) to (42.9, 38.8) in the first turn,
    # its largest move; WY never moves
    assert why["XS"].turn == 1 and why["XS"].sentence.startswith("XS moved most in turn 1, from (15.0, 10.0) to (42.9, 38.8)")
    assert why["WY"].turn is None and why["WY"].moved == 0.0 and "never moved" in why["WY"].sentence
    for a, name in enumerate(r.actors):
        w = why[name]
        if w.turn is None:
            continue
        # the largest move really is the largest, and it is the bargain the actor chose
        steps = [
            sum((p - q) ** 2 for p, q in zip(r.positions[t][a], r.positions[t + 1][a], strict=True)) ** 0.5
            for t in range(r.turns_run)
        ]
        assert abs(100 * max(steps) - w.moved) < 1e-9 and steps.index(max(steps)) == w.turn - 1
        choice = next(c for c in r.turns[w.turn - 1].choices if c.actor == a)
        assert choice.chosen is not None and r.actors[choice.chosen] in w.sentence


def test_cli_table_json_and_the_store(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    out = _cli("forecast", str(SOE), store=store)
    assert out.returncode == 0, out.stderr
    assert "27 turns (converged)" in out.stdout
    assert "Policy Position, turn by turn" in out.stdout and "Competitive Position, turn by turn" in out.stdout
    xj = next(line for line in out.stdout.splitlines() if line.startswith("│ XJ"))
    assert xj.split("│")[-3].strip() == "43.2"  # XJ's final policy position, as KTAB's history
    (record,) = RunStore(store).list()
    assert record.kind == "forecast" and record.status == "complete" and record.scenario_id == "China Policy/Competitive; scen 2"
    positions = RunStore(store).table(record.id, "positions")
    assert len(positions) == 28 * 13 * 2
    final_xj = [p for p in positions if p["state"] == 27 and p["actor"] == "XJ"]
    assert [round(p["position"], 1) for p in final_xj] == [43.2, 43.3]
    challenges = RunStore(store).table(record.id, "challenges")
    assert challenges[0]["turn"] == 1 and len(challenges) == 349

    js = _cli("forecast", str(SOE), "--json", "--no-store")
    data = json.loads(js.stdout)
    assert data == detente.forecast(SOE).model_dump(mode="json")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("x.toml", "[forecast]\nid = 3\n", "forecast.id: Input should be a valid string"),
        ("neg.csv", SOE.read_text().replace("XJ,Xi Jinping,                            100.0", "XJ,Xi Jinping,-5"), "row 3, column 3"),
        ("short.csv", "only one line\n", "row 2"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    out = _cli("forecast", str(path), "--no-store")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ") and message in out.stderr
    assert out.stdout == ""


def test_max_turns_stops_early() -> None:
    r = detente.forecast(SOE, max_turns=3)
    assert r.turns_run == 3 and not r.converged and len(r.positions) == 4
