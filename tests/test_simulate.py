"""Monte Carlo histories (docs/model.md, "Summit versus working level"): a case with a known answer, determinism across
executors, a seeded golden result, and bad distributions."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

import detente
from detente.cli.app import app
from detente.errors import ScenarioError
from detente.parallel import Execution
from detente.scenario.loader import load_bytes
from detente.uncertainty.aggregate import mean_ci, wilson
from detente.uncertainty.distributions import draw, mean
from detente.uncertainty.simulate import run
from test_worked_example import WORKED

# One move: A pays c a period for a1, worth 1 a period to A and to B. With no misreading the
# summit's proposal [[a1]] is signed iff A complies, iff 1 − c ≥ 0; c ~ U[0, 2], so
# P(signed) = 1/2 exactly, a retry changes nothing, and a signed deal always holds.
KNOWN = b"""
[scenario]
id = "known"
title = "A known probability"
[parameters]
c = { value = 0.5 }
[[parties]]
id = "a"
name = "A"
discount = 0.9
[[parties]]
id = "b"
name = "B"
discount = 0.9
[[moves]]
id = "a1"
owner = "a"
label = "a1"
cost = "c"
value = { a = 1, b = 1 }
[uncertainty]
misperception = 0.0
horizon = 4
c = { dist = "uniform", low = 0.0, high = 2.0 }
"""

WORKED_U = WORKED.replace(b"verifiability = 0.3", b'verifiability = "b2_detection"').replace(
    b"cost = 2\nvalue = { a = 4 }", b'cost = "b1_cost"\nvalue = { a = 4 }'
).replace(b"cost = 1\nvalue = { b = 3 }", b'cost = "a1_cost"\nvalue = { b = 3 }') + b"""
[parameters]
b2_detection = { value = 0.3 }
b1_cost = { value = 2.0, owner = "b" }
a1_cost = { value = 1.0, owner = "a" }
[uncertainty]
misperception = 0.6
working_level_gain = 0.5
summit_cooldown = 1
horizon = 6
b2_detection = { dist = "beta", alpha = 2.0, beta = 5.0 }
b1_cost = { dist = "triangular", low = 1.0, mode = 2.0, high = 4.5 }
a1_cost = { dist = "uniform", low = 0.5, high = 3.5 }
"""


def test_the_confidence_interval_covers_a_known_probability() -> None:
    r = run(load_bytes(KNOWN, "known.toml"), 400, seed=0, strategies=("summit-first", "working-1"), execution=Execution(1))
    for s in r.strategies:
        p, lo, hi = s.p_signed.estimate, s.p_signed.low, s.p_signed.high
        assert p is not None and lo is not None and hi is not None
        assert lo <= 0.5 <= hi
        assert abs(p - 0.5) < 3 * (0.25 / 400) ** 0.5
        assert s.p_holds_given_signed.estimate == 1.0
    # common random numbers: both strategies saw the same costs, so the same histories sign
    assert r.strategies[0].p_signed.estimate == r.strategies[1].p_signed.estimate


def test_the_same_seed_gives_the_same_result_with_one_or_two_workers() -> None:
    sc = load_bytes(WORKED_U, "worked.toml")
    one = run(sc, 60, seed=7, execution=Execution(1)).model_dump(exclude=VOLATILE)
    two = run(sc, 60, seed=7, execution=Execution(2)).model_dump(exclude=VOLATILE)
    assert one == two


VOLATILE = {"seconds", "workers", "executor"}


def test_the_same_seed_gives_the_same_result_on_dask() -> None:
    """The determinism test across executors: a LocalCluster started by detente (``--dask
    local``), and a running scheduler reached by its address (``--dask tcp://...``), as a real
    cluster would be."""
    distributed = pytest.importorskip("distributed")
    sc = load_bytes(WORKED_U, "worked.toml")
    one = run(sc, 60, seed=7, execution=Execution(1)).model_dump(exclude=VOLATILE)
    local = run(sc, 60, seed=7, execution=Execution(2, "local"))
    assert local.executor == "Dask LocalCluster of 2 workers"
    assert local.model_dump(exclude=VOLATILE) == one
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        remote = run(sc, 60, seed=7, execution=Execution(None, cluster.scheduler_address))
    assert remote.executor.startswith("Dask cluster at tcp://") and remote.workers is None
    assert remote.model_dump(exclude=VOLATILE) == one


def test_an_unreachable_scheduler_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("distributed")
    path = tmp_path / "w.toml"
    path.write_bytes(WORKED_U)
    out = subprocess.run(
        [sys.executable, "-m", "detente", "simulate", str(path), "--samples", "5", "--dask", "tcp://127.0.0.1:9"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert "--dask tcp://127.0.0.1:9: cannot reach the scheduler" in out.stderr


def test_seeded_golden_result() -> None:
    """Pinned numbers: a change to the history model or the random streams shows here."""
    r = run(load_bytes(WORKED_U, "worked.toml"), 40, seed=11, execution=Execution(1))
    got = {s.strategy: (s.p_signed.estimate, s.p_holds_given_signed.estimate, round(s.summits, 6)) for s in r.strategies}
    assert got == GOLDEN


GOLDEN: dict[str, tuple[float | None, float | None, float]] = {
    "summit-first": (0.125, 1.0, 2.75),
    "working-1": (0.2, 1.0, 2.7),
    "working-2": (0.2, 1.0, 1.85),
    "working-3": (0.2, 1.0, 1.0),
}


def test_distributions_have_their_means() -> None:
    sc = load_bytes(
        KNOWN.replace(b'c = { dist = "uniform", low = 0.0, high = 2.0 }', b'c = { dist = "lognormal", median = 2.0, sigma = 0.5 }'),
        "known.toml",
    )
    assert sc.uncertainty is not None
    (d,) = sc.uncertainty.distributions
    x = draw(d, np.random.default_rng(0), 200_000)
    assert np.mean(x) == pytest.approx(mean(d), rel=0.01)
    assert np.median(x) == pytest.approx(2.0, rel=0.01)


def test_wilson_and_mean_intervals_by_hand() -> None:
    p, lo, hi = wilson(50, 100)
    assert p == 0.5 and lo == pytest.approx(0.4038, abs=1e-4) and hi == pytest.approx(0.5962, abs=1e-4)
    m, lo, hi = mean_ci(10.0, 30.0, 4)  # values 1, 2, 3, 4: mean 2.5, s² 5/3
    assert m == 2.5 and hi - m == pytest.approx(1.959964 * (5 / 3 / 4) ** 0.5)


@pytest.mark.parametrize(
    ("table", "key", "reason"),
    [
        ('c = { dist = "uniform", low = 2.0, high = 1.0 }', "uncertainty.c", "low must be below high"),
        ('d = { dist = "uniform", low = 0.0, high = 1.0 }', "uncertainty.d", "unknown parameter"),
        ('c = { dist = "lognormal", median = 1.0, sigma = -0.5 }', "uncertainty.c.sigma", "must be ≥ 0"),
        ('c = { dist = "triangular", low = 0.0, mode = 3.0, high = 2.0 }', "uncertainty.c.mode", "must lie in [low, high]"),
        ('c = { dist = "beta", alpha = 0.0, beta = 1.0 }', "uncertainty.c.alpha", "must be > 0"),
        ('c = { dist = "normal", low = 0.0, high = 1.0 }', "uncertainty.c", "does not match"),
    ],
)
def test_bad_distributions(tmp_path, table: str, key: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    text = KNOWN.replace(b'c = { dist = "uniform", low = 0.0, high = 2.0 }', table.encode())
    with pytest.raises(ScenarioError) as err:
        load_bytes(text, "bad.toml")
    assert err.value.key == key and reason in err.value.reason
    path = tmp_path / "bad.toml"
    path.write_bytes(text)
    done = subprocess.run(
        [sys.executable, "-m", "detente", "simulate", str(path), "--samples", "5"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith(f"error: {path}: {key}")


def test_misperception_must_be_non_negative_and_gain_in_0_1() -> None:
    with pytest.raises(ScenarioError, match="uncertainty.misperception: must be ≥ 0"):
        load_bytes(KNOWN.replace(b"misperception = 0.0", b"misperception = -1.0"), "x.toml")
    with pytest.raises(ScenarioError, match=r"uncertainty.working_level_gain: must lie in \(0, 1\]"):
        load_bytes(KNOWN.replace(b"misperception = 0.0", b"working_level_gain = 1.5"), "x.toml")


def test_a_scenario_without_uncertainty_cannot_be_simulated() -> None:
    with pytest.raises(ScenarioError, match="no \\[uncertainty\\] table"):
        detente.simulate(load_bytes(WORKED, "worked.toml"), 10)


def test_unknown_strategy() -> None:
    with pytest.raises(ScenarioError, match="unknown strategy 'summit-last'"):
        detente.simulate(load_bytes(KNOWN, "known.toml"), 10, strategies=["summit-last"])


def test_cli_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "known.toml"
    path.write_bytes(KNOWN)
    out = CliRunner().invoke(app, ["simulate", str(path), "--samples", "50", "--seed", "1", "--workers", "1", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["completed"] == 50 and data["complete"] is True
    assert [s["strategy"] for s in data["strategies"]] == ["summit-first", "working-1", "working-2", "working-3"]


@pytest.mark.parametrize("execution", [Execution(1), Execution(2), Execution(2, "local")], ids=["serial", "processes", "dask"])
def test_ctrl_c_keeps_what_finished(execution: Execution) -> None:
    """An interrupt (here raised from the progress callback, as Ctrl-C would arrive) stops the
    run; the chunks already merged are summarised and the result says it is incomplete."""

    def interrupt(done: int, total: int) -> None:
        if done >= 25:
            raise KeyboardInterrupt

    sc = load_bytes(KNOWN, "known.toml")
    r = run(sc, 200, seed=2, strategies=("summit-first",), execution=execution, progress=interrupt)
    assert not r.complete and 25 <= r.completed < 200
    assert r.strategies[0].histories == r.completed
    full = run(sc, r.completed, seed=2, strategies=("summit-first",), execution=Execution(1))
    assert r.strategies[0].p_signed == full.strategies[0].p_signed  # the same histories


def test_a_terminal_gets_a_progress_bar_and_a_log_does_not(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The bar (with its ETA) is drawn on standard error when that is a terminal, and kept
    out of pipes and log files."""
    import os
    import pty

    path = tmp_path / "known.toml"
    path.write_bytes(KNOWN)
    cmd = [sys.executable, "-m", "detente", "simulate", str(path), "--samples", "400", "--workers", "1", "--no-store"]
    main, follower = pty.openpty()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=follower, env={**os.environ, "COLUMNS": "100"})
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=300) == 0
    os.close(main)
    assert b"histories" in seen and b"eta" in seen and b"/400" in seen
    piped = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and piped.stderr == ""
