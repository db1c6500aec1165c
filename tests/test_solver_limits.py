"""The solver's memory limit (docs/model.md, "The solver", limits): refused before allocating or
stopped during the solve with one line, never a MemoryError; and the inputs that used to
exhaust memory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

import detente
from detente.errors import SolverLimitError
from detente.model.game import compile_game
from detente.scenario.loader import load_bytes
from detente.solvers import limits
from detente.solvers.dp import solve_game
from detente.solvers.limits import MEMORY_ENV, MemoryBudget, memory_limit, physical_memory
from detente.web.app import create_app
from detente.web.limits import Limits

DATA = Path(__file__).resolve().parent / "data"
# 16 free moves, 8 a party, every other one reversible, one move a party per stage, up to 32
# stages: it passes the transition check (1.6 million), and the solver before branch and bound
# grew its frontiers to 9.7 GB and ended in a MemoryError
CRAFTED = (DATA / "crafted-16.toml").read_bytes()


def _one_line(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message


def test_the_default_limit_is_half_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    limit, source = memory_limit()
    assert limit == int(physical_memory() * limits.DEFAULT_MEMORY_FRACTION)
    assert MEMORY_ENV in source


def test_the_limit_is_settable_and_never_above_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_ENV, "300")
    assert memory_limit() == (300 << 20, f"{MEMORY_ENV} = 300")
    assert memory_limit(120)[0] == 120 << 20  # a caller's own limit wins
    huge = physical_memory() * 4 / (1 << 20)
    assert memory_limit(huge)[0] == physical_memory()
    monkeypatch.setenv(MEMORY_ENV, "lots")
    with pytest.raises(SolverLimitError, match="not a number"):
        memory_limit()
    with pytest.raises(SolverLimitError, match="must be positive"):
        memory_limit(0)


def test_a_small_limit_refuses_before_allocating() -> None:
    """16 free moves need about 3 MB of per-state tables: a 1 MB limit refuses them up front."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from random_scenarios import random_scenario

    g = compile_game(random_scenario(16, 1))
    with pytest.raises(SolverLimitError) as info:
        solve_game(g, max_memory_mb=1)
    message = str(info.value)
    _one_line(message)
    assert message.startswith("the search needs 3 MB (per-state tables of 65,536 states)")
    assert "over the solver's memory limit of 1 MB (max_memory_mb = 1)" in message
    assert "raise the limit" in message


def test_frontiers_that_outgrow_the_limit_stop_the_solve_with_one_line() -> None:
    """The full-frontier search of the crafted scenario grows without bound: stopped at the
    limit, in one line."""
    g = compile_game(load_bytes(CRAFTED, "crafted-16.toml"))
    started = time.perf_counter()
    with pytest.raises(SolverLimitError) as info:
        solve_game(g, full_frontier=True, max_memory_mb=60)
    _one_line(str(info.value))
    assert "the frontiers need more than" in str(info.value)
    assert "memory limit of 60 MB" in str(info.value)
    assert time.perf_counter() - started < 120


def test_the_crafted_scenario_is_solved_within_a_small_limit() -> None:
    """With the bound on the Nash product the same scenario needs a few MB of frontiers."""
    sc = load_bytes(CRAFTED, "crafted-16.toml")
    g = compile_game(sc)
    result = solve_game(g, max_memory_mb=200)
    assert result.best is not None
    assert result.entries < 100_000
    budget = MemoryBudget(200)
    assert budget.limit == 200 << 20


def test_the_crafted_scenario_fits_the_default_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    solved = detente.solve(load_bytes(CRAFTED, "crafted-16.toml"))
    assert solved.deal and solved.if_enforceable is not None


def test_the_cli_refuses_in_one_line_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "crafted.toml"
    path.write_bytes(CRAFTED)
    env = {**os.environ, MEMORY_ENV: "2"}
    out = subprocess.run(
        [sys.executable, "-m", "detente", "solve", str(path), "--no-store"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ")
    assert "memory limit of 2 MB" in out.stderr and MEMORY_ENV in out.stderr


def test_the_web_api_answers_the_crafted_scenario_with_a_4xx_in_its_budget() -> None:
    with TestClient(create_app(Limits(seconds=20.0, workers=1), None, warm=False), base_url="http://127.0.0.1") as client:
        started = time.perf_counter()
        answer = client.post("/api/solve", json={"toml": CRAFTED.decode()})
        assert 400 <= answer.status_code < 500, answer.text
        assert time.perf_counter() - started < 20
        assert "\n" not in answer.json()["detail"]
