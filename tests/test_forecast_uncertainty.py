"""Forecast uncertainty: the stochastic transition, [uncertainty] in the
forecast TOML and --vary, the Monte Carlo (seeds, workers, the store) and the sensitivity."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente import api
from detente.cli.app import app, main
from detente.errors import ScenarioError
from detente.scenario.model import Distribution
from detente.smp import montecarlo as mc
from detente.smp import run_smp
from detente.smp.model import run_positions, sample_item, smp_turn
from detente.smp.scenario import read_source
from detente.smp.uncertainty import Uncertain, parse_vary, vary
from detente.store import RunStore

SOE = Path(__file__).parent / "data" / "ktab" / "SOE-Pol-Comp.csv"

# a small case: actor z has no salience, so its capability cannot matter (it is indifferent
# between all options, its votes are 0, and sigma*c = 0 in every challenge)
SMALL = """
[forecast]
id = "small"
title = "Small"

[[dimensions]]
id = "x"
name = "X"

[[dimensions]]
id = "y"
name = "Y"

[[actors]]
id = "a"
name = "A"
capability = 40
position = { x = 20, y = 70 }
salience = { x = 50, y = 40 }

[[actors]]
id = "b"
name = "B"
capability = 30
position = { x = 80, y = 30 }
salience = { x = 60, y = 30 }

[[actors]]
id = "c"
name = "C"
capability = 20
position = { x = 50, y = 90 }
salience = { x = 30, y = 30 }

[[actors]]
id = "z"
name = "Z"
capability = 10
position = { x = 40, y = 40 }
salience = { x = 0, y = 0 }

[uncertainty]
"a.position.x" = { dist = "uniform", low = 5, high = 60 }
"z.capability" = { dist = "uniform", low = 1, high = 100 }
"""


def _small(tmp_path: Path, text: str = SMALL) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(text)
    return path


# --- the stochastic transition ---


@given(st.integers(1, 8).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))), st.floats(0, 1, exclude_max=True))
def test_a_certain_item_is_always_sampled(case: tuple[int, int], u: float) -> None:
    n, k = case
    prob = np.zeros(n)
    prob[k] = 1.0
    assert sample_item(prob, u) == k


@given(st.lists(st.floats(0, 1), min_size=1, max_size=6).filter(lambda p: sum(p) > 0), st.floats(0, 1, exclude_max=True))
def test_an_impossible_item_is_never_sampled(prob: list[float], u: float) -> None:
    k = sample_item(np.array(prob), u)
    assert prob[k] > 0


def test_with_a_degenerate_election_the_stochastic_run_is_the_deterministic_one() -> None:
    # one actor with all the capability decides every queue election (P of its choice > 1 - 1e-10)
    cap = np.array([1e12, 1.0, 1.0, 1.0])
    pos = np.array([[0.1, 0.2], [0.5, 0.9], [0.8, 0.3], [0.4, 0.6]])
    sal = np.array([[0.5, 0.4], [0.6, 0.3], [0.3, 0.3], [0.5, 0.5]])
    det = run_positions(pos, sal, cap)
    assert min(float(q.max()) for t in det.turns for q in t.queue_prob) > 1 - 1e-9
    assert any(len(q) > 1 for t in det.turns for q in t.queue)  # there were choices to make
    for seed in range(10):
        sto = run_positions(pos, sal, cap, transition="stochastic", rng=np.random.default_rng(seed))
        assert len(sto.positions) == len(det.positions)
        assert all(np.array_equal(a, b) for a, b in zip(sto.positions, det.positions, strict=True))


def test_sampled_items_follow_the_election_probabilities() -> None:
    pos = np.array([[0.1, 0.2], [0.5, 0.9], [0.8, 0.3], [0.4, 0.6]])
    sal = np.array([[0.5, 0.4], [0.6, 0.3], [0.3, 0.3], [0.5, 0.5]])
    cap = np.array([3.0, 2.0, 2.0, 1.0])
    det = smp_turn(pos, pos, sal, cap)
    n = 3000
    counts = [dict.fromkeys(q, 0) for q in det.queue]
    rng = np.random.default_rng(2024)
    for _ in range(n):
        out = smp_turn(pos, pos, sal, cap, "stochastic", rng)
        assert [list(q) for q in out.queue] == [list(q) for q in det.queue]  # only the choice is random
        for k, item in enumerate(out.chosen):
            counts[k][int(item)] += 1
    # each frequency within 4.5 standard errors of its probability: under correct sampling a
    # miss has probability 7e-6 per item, under 1e-4 for the 13 items here (and the seed is fixed)
    for k, q in enumerate(det.queue):
        if len(q) == 1:
            continue
        for item, p in zip(q, det.queue_prob[k], strict=True):
            f = counts[k][item] / n
            assert abs(f - p) <= 4.5 * np.sqrt(p * (1 - p) / n) + 1e-12, (k, item, f, p)


def test_the_deterministic_transition_is_unchanged_and_needs_no_generator() -> None:
    inp = read_source(SOE).input
    a = run_smp(inp)
    b = run_smp(inp, transition="deterministic", rng=np.random.default_rng(5))
    assert a.positions == b.positions and a.turns_run == 27
    with pytest.raises(ValueError, match="needs a random generator"):
        run_smp(inp, transition="stochastic")


# --- the Monte Carlo ---


def test_zero_width_distributions_give_the_single_run() -> None:
    src = read_source("korea-six-party-2019")
    inp = src.input
    fixed = []
    for a in range(inp.n_actors):
        c = float(inp.capability[a])
        fixed.append(Uncertain(f"{a}.capability", "capability", a, -1, Distribution("c", "uniform", {"low": c, "high": c})))
        for k in range(inp.n_dimensions):
            for kind, arr in (("position", inp.position), ("salience", inp.salience)):
                v = 100 * float(arr[a, k])
                fixed.append(Uncertain(f"{a}.{kind}.{k}", kind, a, k, Distribution("v", "uniform", {"low": v, "high": v})))  # type: ignore[arg-type]
    single = run_smp(inp)
    r = mc.run(src, 7, seed=3, uncertain=fixed, execution=mc.Execution(1))
    assert r.complete and r.completed == 7
    final = single.positions[-1]
    for p in r.positions:
        a, k = src.actor_ids.index(p.actor), src.dimension_ids.index(p.dimension)
        # every draw ends exactly where the single run does (the mean and sd differ from it by
        # the rounding of their sums only)
        assert p.final.p5 == p.final.p95 == 100 * final[a][k] and p.final.sd < 1e-12
    w = inp.capability / inp.capability.sum()
    for k, o in enumerate(r.outcomes):
        assert o.final.sd < 1e-12 and o.final.mean == pytest.approx(100 * float(w @ np.array(final)[:, k]), abs=1e-9)
    assert r.turns.mean == single.turns_run


def _json(args: list[str]) -> dict[str, object]:
    out = CliRunner().invoke(app, args)
    assert out.exit_code == 0, out.output
    data: dict[str, object] = json.loads(out.stdout)
    for k in ("seconds", "executor", "workers"):
        data.pop(k)
    return data


def test_same_seed_same_results_with_one_or_two_workers(tmp_path: Path) -> None:
    base = ["forecast", "korea-six-party-2019", "--samples", "45", "--seed", "11", "--stochastic", "--json", "--no-store"]
    one = _json([*base, "--workers", "1"])
    two = _json([*base, "--workers", "2"])
    assert one == two
    assert one["complete"] is True and one["transition"] == "stochastic" and len(one["varied"]) == 10  # type: ignore[arg-type]
    other = _json([*base[:5], "12", *base[6:], "--workers", "1"])
    assert other["outcomes"] != one["outcomes"]


def test_the_run_is_recorded_with_flat_tables(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    out = CliRunner().invoke(
        app, ["forecast", str(SOE), "--samples", "8", "--vary", "capability=0.2,position=5", "--workers", "1", "--store", str(store)]
    )
    assert out.exit_code == 0, out.output
    text = " ".join(out.stdout.split())  # the heading names the file's path, which may wrap the line
    assert "8 of 8 draws" in text and "P(within 10)" in text
    (record,) = RunStore(store).list()
    assert record.kind == "forecast-mc" and record.status == "complete" and record.seed == 0
    positions = RunStore(store).table(record.id, "positions")
    assert len(positions) == 13 * 2 and {"actor", "dimension", "mean", "p5", "p95"} <= set(positions[0])
    assert len(RunStore(store).table(record.id, "varied")) == 13 + 13 * 2


def test_vary_narrows_an_actors_salience_spread_to_keep_its_total_at_most_100() -> None:
    src = read_source(SOE)
    unc = vary(src.input, parse_vary(src.origin, "salience=0.2"), src.actor_ids, src.dimension_ids)
    for a in range(src.input.n_actors):
        tops = [u.dist.params["high"] for u in unc if u.actor == a]
        assert sum(tops) <= 100 + 1e-9
    wy = [u for u in unc if u.key.startswith("wy.")]  # WY's saliences sum to 95: spread 5/95
    assert wy and all(u.dist.params["high"] / u.dist.params["low"] == pytest.approx((1 + 5 / 95) / (1 - 5 / 95)) for u in wy)


# --- bad input: one line, exit 2 ---


def _main(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["detente", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    ("line", "key", "reason"),
    [
        ('"q.capability" = { dist = "uniform", low = 1, high = 2 }', 'uncertainty."q.capability"', "unknown actor 'q'"),
        ('"a.position.w" = { dist = "uniform", low = 1, high = 2 }', 'uncertainty."a.position.w"', "unknown dimension 'w'"),
        ('"a.colour" = { dist = "uniform", low = 1, high = 2 }', 'uncertainty."a.colour"', "expected ACTOR.capability"),
        ('"b.position.x" = { dist = "uniform", low = 50, high = 120 }', 'uncertainty."b.position.x"', "lies in [0, 100]"),
        ('"b.salience.y" = { dist = "lognormal", median = 30, sigma = 0.2 }', 'uncertainty."b.salience.y"', "unbounded"),
        ('"b.capability" = { dist = "uniform", low = 0, high = 40 }', 'uncertainty."b.capability"', "stay above 0"),
        ('"b.salience.y" = { dist = "uniform", low = 20, high = 45 }', 'uncertainty."b.salience.y"', "could sum to 105 > 100"),
        ('"b.capability" = { dist = "uniform", low = 40, high = 30 }', 'uncertainty."b.capability"', "low must be below high"),
        ('"b.capability" = { dist = "triangular", low = 20, mode = 50, high = 40 }', 'uncertainty."b.capability".mode', "must lie in [low, high]"),
    ],
)
def test_bad_uncertainty_is_one_line_exit_2(
    line: str, key: str, reason: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _small(tmp_path, SMALL + line + "\n")
    with pytest.raises(ScenarioError) as err:
        read_source(path)
    assert err.value.key == key and reason in err.value.reason
    code, stderr = _main(["forecast", str(path), "--samples", "4", "--no-store"], monkeypatch, capsys)
    assert code == 2 and stderr.count("\n") == 1 and stderr.startswith(f"error: {path}: {key}: ")


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["--samples", "4", "--vary", "capability=1.5"], "--vary"),
        (["--samples", "4", "--vary", "colour=3"], "--vary"),
        (["--vary", "position=5"], "--vary"),
        (["--metric", "outcome:x"], "--metric"),
        (["--sensitivity", "--metric", "outcome:w"], "--metric"),
        (["--sensitivity", "--samples", "12"], "--samples"),
        (["--samples", "0"], "--samples"),
    ],
)
def test_bad_options_are_one_line_exit_2(
    args: list[str], key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _small(tmp_path)
    code, stderr = _main(["forecast", str(path), *args, "--no-store"], monkeypatch, capsys)
    assert code == 2 and stderr.count("\n") == 1 and f": {key}: " in stderr, stderr


# --- sensitivity ---


@pytest.mark.parametrize(
    ("method", "metrics"),
    # Morris's 4 levels give a.position.x only 4 values, at which B's final y does not vary
    [("sobol", "position:a.x,position:b.y"), ("morris", "position:a.x")],
)
def test_sensitivity_ranks_the_only_input_that_matters_first(method: str, metrics: str, tmp_path: Path) -> None:
    path = _small(tmp_path)
    data = _json(["forecast", str(path), "--sensitivity", "--metric", metrics, "--samples", "16",
                  "--method", method, "--workers", "1", "--json", "--no-store"])
    assert data["complete"] is True
    for m in data["metrics"]:  # type: ignore[attr-defined]
        assert not m["constant"], m["metric"]
        first, second = m["parameters"]
        assert first["parameter"] == "a.position.x" and second["parameter"] == "z.capability"
        if method == "sobol":
            assert first["st"] > 0.5 and second["st"] == pytest.approx(0.0, abs=1e-12)
        else:
            assert first["mu_star"] > 0 and second["mu_star"] == 0.0


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_a_stochastic_single_run_is_draw_0_of_the_monte_carlo(seed: int) -> None:
    src = read_source("korea-six-party-2019")
    one = api.forecast(src.input, transition="stochastic", seed=seed)
    r = mc.run(src, 1, seed=seed, transition="stochastic", uncertain=(), execution=mc.Execution(1))
    for p in r.positions:
        a, k = src.actor_ids.index(p.actor), src.dimension_ids.index(p.dimension)
        assert p.final.mean == 100 * one.positions[-1][a][k]
