"""Sensitivity indices: a scenario where only one parameter matters, the inverse CDFs
against scipy and against the sampler, determinism across executors, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import detente
from detente.parallel import Execution
from detente.scenario.loader import load_bytes
from detente.scenario.model import Distribution
from detente.uncertainty.distributions import draw, quantile, support
from detente.uncertainty.sensitivity import design, parse_metrics, run

# One move a1: A pays c a period for it, it is worth 1 a period to A and to B. A deal ([[a1]])
# exists iff 1 − c ≥ 0, and A's value of it is (1 − c)/(1 − 0.9); z is in [uncertainty] but
# in no number of the game, so every index of z is exactly 0 and c carries all the variance.
ONLY_C = b"""
[scenario]
id = "only-c"
title = "Only c matters"
[parameters]
c = { value = 0.5 }
z = { value = 1.0 }
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
z = { dist = "triangular", low = 0.0, mode = 1.0, high = 3.0 }
"""


def _scenario() -> detente.Scenario:
    return load_bytes(ONLY_C, "only-c.toml")


def test_sobol_points_at_the_one_parameter_that_matters() -> None:
    sc = _scenario()
    r = run(sc, parse_metrics(sc, "deal-exists,value:a"), 128, "sobol", seed=3, execution=Execution(1))
    assert r.complete and r.points == 128 * (2 + 2)
    for m in r.metrics:
        by = {p.parameter: p for p in m.parameters}
        assert m.parameters[0].parameter == "c"  # most influential first
        assert by["z"].s1 == 0.0 and by["z"].st == 0.0  # f never depends on z: exactly 0
        assert by["c"].st is not None and by["c"].st > 0.9
        assert by["c"].s1 is not None and by["c"].s1 > 0.8
    deal = r.metrics[0]
    assert deal.metric == "deal-exists" and abs(deal.mean - 0.5) < 0.1  # P(c ≤ 1) = 1/2
    # A's value: (1 − c)/0.1 when c ≤ 1, else 0 (no deal); its mean is 2.5 over c ~ U[0, 2]
    assert abs(r.metrics[1].mean - 2.5) < 0.3


def test_morris_screens_out_the_parameter_that_does_not_matter() -> None:
    sc = _scenario()
    r = run(sc, parse_metrics(sc, "value:a"), 20, "morris", seed=1, execution=Execution(1))
    by = {p.parameter: p for p in r.metrics[0].parameters}
    assert r.points == 20 * 3
    assert by["z"].mu_star == 0.0 and by["z"].sigma == 0.0
    assert by["c"].mu_star is not None and by["c"].mu_star > 1.0
    # A's value falls as c rises: every elementary effect of c is ≤ 0
    assert by["c"].mu is not None and by["c"].mu < 0


def test_a_simulated_metric_points_at_the_same_parameter() -> None:
    """With no misreading, a history signs iff a deal exists at the truth: p-signed equals
    deal-exists at every point."""
    sc = _scenario()
    r = run(sc, parse_metrics(sc, "deal-exists,p-signed:working-1"), 32, "sobol", seed=5, histories=3, execution=Execution(1))
    exists, signed = r.metrics
    assert exists.mean == signed.mean
    assert [p.parameter for p in signed.parameters][0] == "c"
    assert r.histories == 3


def test_a_constant_metric_has_zero_indices_not_nan() -> None:
    sc2 = load_bytes(ONLY_C.replace(b'high = 2.0 }', b'high = 0.9 }'), "always.toml")  # c ≤ 0.9: always a deal
    r = run(sc2, parse_metrics(sc2, "deal-exists"), 16, "sobol", execution=Execution(1))
    m = r.metrics[0]
    assert m.constant and m.mean == 1.0 and m.std == 0.0
    assert all(p.st is None and p.s1 is None for p in m.parameters)


def test_same_seed_same_indices_on_one_or_two_workers() -> None:
    sc = _scenario()
    metrics = parse_metrics(sc, "value:a,nash-product")
    one = run(sc, metrics, 32, "sobol", seed=9, execution=Execution(1)).model_dump(exclude={"seconds", "workers", "executor"})
    two = run(sc, metrics, 32, "sobol", seed=9, execution=Execution(2)).model_dump(exclude={"seconds", "workers", "executor"})
    assert one == two


def test_an_interrupted_run_has_no_indices() -> None:
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    sc = _scenario()
    r = run(sc, parse_metrics(sc, "deal-exists"), 64, "sobol", execution=Execution(1), progress=interrupt)
    assert not r.complete and 0 < r.completed < r.points and r.metrics == []


def test_the_design_maps_the_unit_cube_to_each_distribution() -> None:
    sc = _scenario()
    units = design(sc, "sobol", 64, seed=0)
    assert units.shape == (64 * 4, 2) and units.min() >= 0.0 and units.max() <= 1.0


DISTS = [
    Distribution("x", "uniform", {"low": 1.0, "high": 3.0}),
    Distribution("x", "triangular", {"low": 0.0, "mode": 1.0, "high": 3.0}),
    Distribution("x", "beta", {"alpha": 2.0, "beta": 5.0, "low": 0.0, "high": 1.0}),
    Distribution("x", "beta", {"alpha": 0.5, "beta": 0.5, "low": -1.0, "high": 2.0}),
    Distribution("x", "lognormal", {"median": 8.0, "sigma": 0.3}),
]


def _scipy(d: Distribution) -> stats.rv_continuous:
    p = d.params
    if d.kind == "uniform":
        return stats.uniform(p["low"], p["high"] - p["low"])
    if d.kind == "triangular":
        return stats.triang((p["mode"] - p["low"]) / (p["high"] - p["low"]), p["low"], p["high"] - p["low"])
    if d.kind == "beta":
        return stats.beta(p["alpha"], p["beta"], p["low"], p["high"] - p["low"])
    return stats.lognorm(p["sigma"], scale=p["median"])


@pytest.mark.parametrize("d", DISTS, ids=lambda d: d.kind)
def test_quantile_agrees_with_scipy_and_with_the_sampler(d: Distribution) -> None:
    u = np.linspace(0.01, 0.99, 99)
    assert np.allclose(quantile(d, u), _scipy(d).ppf(u), rtol=1e-9, atol=1e-12)
    # the same distribution the Monte Carlo draws from: a two-sample KS test on 4000 draws
    rng = np.random.default_rng(0)
    sampled = draw(d, rng, 4000)
    mapped = quantile(d, rng.uniform(0.0, 1.0, 4000))
    assert stats.ks_2samp(sampled, mapped).pvalue > 0.001


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(DISTS), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_quantile_is_monotone_and_stays_in_the_support(d: Distribution, a: float, b: float) -> None:
    lo, hi = support(d)
    qa, qb = float(quantile(d, np.array(a))), float(quantile(d, np.array(b)))
    assert lo - 1e-12 <= qa <= hi + 1e-12
    if a <= b:
        assert qa <= qb + 1e-12


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "detente", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--samples", "100"], "--samples: Sobol' designs need a power of 2 (Saltelli's scheme), got 100: use 64 or 128"),
        (["--metric", "deal-size"], "--metric: unknown metric 'deal-size'"),
        (["--metric", "value:china"], "--metric: value:china: no party 'china'"),
        (["--metric", "p-signed:summit-last"], "--metric: unknown strategy 'summit-last'"),
        (["--method", "fast"], "Invalid value for '--method'"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(tmp_path, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "only-c.toml"
    path.write_bytes(ONLY_C)
    out = _cli("sensitivity", str(path), "--workers", "1", *args)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr
    if "Invalid value" not in message:  # typer's own usage errors are boxed; ours are one line
        assert out.stderr.strip().count("\n") == 0 and "Traceback" not in out.stderr


def test_a_scenario_without_uncertainty_is_refused() -> None:
    out = _cli("sensitivity", "jcpoa-2015", "--workers", "1")
    assert out.returncode == 2
    assert out.stderr.strip() == "error: jcpoa-2015: uncertainty: the scenario has no distributions in [uncertainty] to vary"


def test_cli_json_on_hanoi() -> None:
    out = _cli("sensitivity", "--samples", "2", "--workers", "1", "--metric", "value:us", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["complete"] and data["points"] == 2 * (4 + 2)
    assert [v["parameter"] for v in data["varied"]] == ["leakage", "un_bite", "yongbyon_share", "deterrent"]
    assert data["metrics"][0]["metric"] == "value:us"


def test_seed_0_gives_the_same_intervals_in_two_processes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The bootstrap's intervals are seeded too (SALib skips a seed of 0: detente derives one)."""
    path = tmp_path / "only-c.toml"
    path.write_bytes(ONLY_C)
    runs = [_cli("sensitivity", str(path), "--samples", "16", "--workers", "1", "--metric", "value:a", "--json", "--seed", "0") for _ in range(2)]
    a, b = (json.loads(r.stdout)["metrics"] for r in runs)
    assert a == b and a[0]["parameters"][0]["s1_conf"] is not None
