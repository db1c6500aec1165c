"""The Spatial Model of Politics (detente.smp) against KTAB's reference run and by hand."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from detente.errors import ScenarioError
from detente.smp import ForecastResult, SmpInput, parse_ktab_csv, read_ktab_csv, run_smp
from detente.smp.model import (
    bargain,
    challenge_values,
    condorcet_pairwise,
    condorcet_probs,
    distances,
    risk_attitudes,
    risk_utility,
    round_half_up,
    unique_options,
)

DATA = Path(__file__).resolve().parent / "data" / "ktab"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "ktab"
CSV = DATA / "SOE-Pol-Comp.csv"


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "SOE-Pol-Comp.expected.json").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def result() -> ForecastResult:
    return run_smp(read_ktab_csv(CSV))


# ---------------------------------------------------------------- the reference reproduction


def test_reference_number_of_turns(result: ForecastResult, expected: dict[str, Any]) -> None:
    assert result.turns_run == expected["turns"] == 27
    assert len(result.positions) == 28
    assert result.converged


def test_reference_positions_every_turn(result: ForecastResult, expected: dict[str, Any]) -> None:
    """Every actor's position after every turn, at the 4 decimals (0-100) KTAB prints."""
    for t, ref in enumerate(expected["positions_after_turn"]):
        mine = [[f"{100 * x:.4f}" for x in actor] for actor in result.positions[t + 1]]
        assert mine == ref, f"turn {t}"


def test_reference_position_history(result: ForecastResult, expected: dict[str, Any]) -> None:
    hist = expected["history_positions"]
    for a, name in enumerate(result.actors):
        for k, dim in enumerate(result.dimensions):
            mine = [f"{100 * state[a][k]:.1f}" for state in result.positions]
            assert mine == hist[f"{name}, {dim}"], f"{name}, {dim}"


def test_reference_fractional_changes(result: ForecastResult, expected: dict[str, Any]) -> None:
    assert [f"{c:.4f}" for c in result.fractional_changes] == expected["fractional_change"]


def test_reference_winning_probabilities(result: ForecastResult, expected: dict[str, Any]) -> None:
    hist = expected["history_winning_probabilities"]
    for a, name in enumerate(result.actors):
        mine = [f"{state[a]:.4f}" for state in result.winning_probabilities]
        assert mine == hist[name], name


def test_reference_risk_attitudes(result: ForecastResult, expected: dict[str, Any]) -> None:
    for s, ref in enumerate(expected["risk_attitudes"]):
        assert [f"{r:+.3f}" for r in result.risk_attitudes[s]] == ref, f"state {s}"


def test_reference_challenges_and_bargains(
    result: ForecastResult, expected: dict[str, Any]
) -> None:
    """Every challenge: target, gain, P, and the bargain's coordinates, as KTAB printed them."""
    ref = {(c["turn"], c["initiator"]): c for c in expected["challenges"]}
    mine = {(t.turn, c.initiator): c for t in result.turns for c in t.challenges}
    assert mine.keys() == ref.keys()
    for key, c in mine.items():
        r = ref[key]
        assert c.target == r["target"], key
        assert f"{c.gain:.3f}" == r["worth"], key
        assert f"{c.gain:+.4f}" == r["gain"], key
        assert f"{c.probability:.4f}" == r["prob"], key
        assert [f"{100 * x:.3f}" for x in c.initiator_position] == r["initiator_adopts"], key
        assert [f"{100 * x:.3f}" for x in c.target_position] == r["target_adopts"], key


def test_reference_queue_elections(result: ForecastResult, expected: dict[str, Any]) -> None:
    """Every actor's queue in every turn: the same bargains, their election probabilities at
    4 decimals and the same choice. KTAB lists a queue in thread order, so items are matched
    by (initiator, target); (k, k) is k's status quo."""
    assert len(expected["queues"]) == result.turns_run
    for t, ref_turn in zip(result.turns, expected["queues"], strict=True):
        target = {c.initiator: c.target for c in t.challenges}
        for ch in t.choices:
            ref = ref_turn[str(ch.actor)]
            keys = [(ch.actor, ch.actor) if m is None else (m, target[m]) for m in ch.items]
            ref_keys = [tuple(pair) for pair in ref["items"]]
            assert sorted(keys) == sorted(ref_keys), (t.turn, ch.actor)
            mine = {key: f"{p:.4f}" for key, p in zip(keys, ch.probabilities, strict=True)}
            assert mine == dict(zip(ref_keys, ref["probabilities"], strict=True)), (
                t.turn,
                ch.actor,
            )
            chosen = (ch.actor, ch.actor) if ch.chosen is None else (ch.chosen, target[ch.chosen])
            assert chosen == ref_keys[ref["chosen"]], (t.turn, ch.actor)


def test_reference_extract_is_current() -> None:
    """The committed extract equals a fresh extraction from ../shared (when that is present)."""
    log = SHARED / "SOE-Pol-Comp.reference.txt"
    if not log.is_file():
        pytest.skip("KTAB's reference log is not at ../shared/data/ktab")
    spec = importlib.util.spec_from_file_location("extract_expected", DATA / "extract_expected.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    fresh = mod.extract(log.read_text("utf-8").splitlines())
    committed = json.loads((DATA / "SOE-Pol-Comp.expected.json").read_text("utf-8"))
    assert fresh == committed
    assert (SHARED / "SOE-Pol-Comp.csv").read_bytes() == CSV.read_bytes()


def test_result_is_consistent_and_serialisable(result: ForecastResult) -> None:
    for t in result.turns:
        for ch in t.choices:
            assert ch.position == result.positions[t.turn + 1][ch.actor]
            assert ch.items[0] is None
            assert math.isclose(sum(ch.probabilities), 1.0)
            if ch.chosen is not None:
                c = next(c for c in t.challenges if c.initiator == ch.chosen)
                own = c.initiator_position if ch.chosen == ch.actor else c.target_position
                assert own == ch.position
    again = ForecastResult.model_validate_json(result.model_dump_json())
    assert again == result


def test_max_turns_stops_early() -> None:
    r = run_smp(read_ktab_csv(CSV), max_turns=3)
    assert r.turns_run == 3 and not r.converged
    assert len(r.positions) == 4 and len(r.winning_probabilities) == 4
    with pytest.raises(ValueError):
        run_smp(read_ktab_csv(CSV), max_turns=0)


def test_read_csv_fields() -> None:
    inp = read_ktab_csv(CSV)
    assert inp.name == "China Policy/Competitive; scen 2"
    assert inp.description == "Scenario-0002;Combined Policy and Competitive"
    assert inp.n_actors == 13 and inp.n_dimensions == 2
    assert inp.dimension_names == ["Policy Position", "Competitive Position"]
    assert (
        inp.actor_names[0] == "XJ"
        and inp.actor_descriptions[4] == "Liu He - Deputy Director of DRC"
    )
    assert inp.capability[1] == pytest.approx(60.2)
    np.testing.assert_allclose(inp.position[12], [0.15, 0.60])
    np.testing.assert_allclose(inp.salience[2], [0.289, 0.651])


# ---------------------------------------------------------------- small steps by hand


def test_distance_by_hand() -> None:
    sal = np.array([[0.6, 0.8]])  # squares 0.36 + 0.64 = 1
    ideal = np.array([[0.2, 0.3]])
    pos = np.array([[0.7, 0.3], [0.2, 0.8], [0.2, 0.3]])
    np.testing.assert_allclose(distances(ideal, pos, sal), [[0.3, 0.4, 0.0]], atol=1e-15)
    # KTAB's first risk-neutral value: actor LK's of XJ's position is +0.675
    inp = read_ktab_csv(CSV)
    d = distances(inp.position, inp.position, inp.salience)
    assert f"{1 - d[1, 0]:+.3f}" == "+0.675"


def test_condorcet_three_actors_by_hand() -> None:
    # each actor likes only its own option; weights 1, 2, 3: C(i:j) = 1e-8 + w_i
    u = np.eye(3)
    w = np.array([1.0, 2.0, 3.0])
    pw = condorcet_pairwise(u, w)
    assert pw[0, 1] == pytest.approx(1 / 3) and pw[2, 1] == pytest.approx(3 / 5)
    assert np.diag(pw).tolist() == [0.5, 0.5, 0.5]
    # p ~ (1/2 * 1/3 * 1/4, 1/2 * 2/3 * 2/5, 1/2 * 3/4 * 3/5) = (5, 16, 27) / 48
    np.testing.assert_allclose(condorcet_probs(u, w), np.array([5, 16, 27]) / 48, rtol=1e-7)


def test_risk_attitude_formula_by_hand() -> None:
    np.testing.assert_allclose(risk_attitudes(np.array([0.1, 0.2, 0.7])), [-0.5, -0.25, 1.0])
    assert risk_attitudes(np.array([0.25, 0.25, 0.25, 0.25])).tolist() == [0.0] * 4


def test_risk_utility_by_hand() -> None:
    assert risk_utility(np.array(0.5), 1.0) == pytest.approx(0.75)
    assert risk_utility(np.array(0.5), -0.5) == pytest.approx(0.375)
    assert risk_utility(np.array(1.2), 0.5) == pytest.approx(-0.3)  # (1-d)(1+R) beyond 1
    # KTAB's objective matrix, actor XJ (R = +1) of LK's position: +0.8335
    inp = read_ktab_csv(CSV)
    d = distances(inp.position, inp.position, inp.salience)[0, 1]
    assert f"{1 - d:.3f}" == "0.592"
    assert f"{float(risk_utility(np.array(d), 1.0)):.4f}" == "0.8335"


def test_bargain_weighted_mean_by_hand() -> None:
    # w_i = 0.25 * 0.8^2 = 0.16, w_j = 0.25 * 0.2^2 = 0.01: (0.16 * 0.2 + 0.01 * 0.6) / 0.17
    bi, bj = bargain(np.array([0.2]), np.array([0.6]), np.array([0.5]), np.array([0.5]), 0.8)
    assert bi.tolist() == [0.2235] and bj.tolist() == [0.2235]
    # the 1e-6 lean only shows when one side has no weight: zero salience for j
    bi, bj = bargain(np.array([0.2]), np.array([0.6]), np.array([0.0]), np.array([0.0]), 0.8)
    assert bi.tolist() == [0.2] and bj.tolist() == [0.6]
    # KTAB turn 0: MK (3) challenges MEP (8) with P 0.9361; i adopts 44.89, j 44.89 / 31.55 from 8's
    inp = read_ktab_csv(CSV)
    bi, bj = bargain(inp.position[3], inp.position[8], inp.salience[3], inp.salience[8], 0.9361)
    assert (100 * bi).round(2).tolist() == [44.89, 44.98]


def test_round_half_up() -> None:
    # numpy rounds halves to even; KTAB's bargains round them up
    assert float(np.round(0.00125, 4)) == 0.0012
    assert round_half_up(np.array([0.00125, 0.00135, 0.12344, -0.00005]), 4).tolist() == [
        0.0013,
        0.0014,
        0.1234,
        0.0,
    ]
    assert round_half_up(np.array([0.5, 1.5, 2.5, -0.5]), 0).tolist() == [1.0, 2.0, 3.0, 0.0]


def test_challenge_first_reference_value() -> None:
    """XJ's challenge of SHX in turn 0: gain +0.0456, P 0.7676 (h = k = i)."""
    from detente.smp.model import estimated_utilities, state_utilities

    inp = read_ktab_csv(CSV)
    d, r, _ = state_utilities(inp.position, inp.position, inp.salience, inp.capability)
    u = estimated_utilities(d, r)
    gain, p = challenge_values(0, u[0], inp.salience.sum(axis=1), inp.capability)
    assert int(np.argmax(gain)) == 10
    assert f"{gain[10]:+.4f}" == "+0.0456" and f"{p[10]:.4f}" == "0.7676"


def test_unique_options_euclidean() -> None:
    pos = np.array([[0.0, 0.0], [0.0009, 0.0], [0.0009, 0.0009], [0.5, 0.5]])
    # 0.0009 apart: one option; (0.0009, 0.0009) is 0.00127 from the first: its own option
    assert unique_options(pos).tolist() == [0, 0, 2, 3]


# ---------------------------------------------------------------- properties

unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def utilities_and_weights(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 7))
    m = draw(st.integers(1, 6))
    u = draw(hnp.arrays(np.float64, (n, m), elements=unit))
    w = draw(hnp.arrays(np.float64, (n,), elements=st.floats(0.0, 100.0)))
    return u, w


@given(utilities_and_weights())
@settings(max_examples=200, deadline=None)
def test_condorcet_probabilities_sum_to_one(uw: tuple[np.ndarray, np.ndarray]) -> None:
    u, w = uw
    pw = condorcet_pairwise(u, w)
    np.testing.assert_allclose(pw + pw.T, 1.0)
    p = condorcet_probs(u, w)
    assert np.all(p >= 0.0)
    assert math.isclose(float(p.sum()), 1.0)


@given(hnp.arrays(np.float64, st.integers(2, 15), elements=st.floats(1e-6, 1.0)))
@settings(max_examples=200, deadline=None)
def test_risk_attitudes_in_range_with_extremes_at_ends(p: np.ndarray) -> None:
    r = risk_attitudes(p / p.sum())
    # [-1/2, 1] (BigRRange Mid), up to rounding of KTAB's formula: its error is about
    # 1e-16 · p_max / (p_max − p_min), below 1e-7 since spreads under 1e-9 · p_max give 0
    assert np.all(r >= -0.5 - 1e-6) and np.all(r <= 1.0 + 1e-6)
    if p.max() > p.min() * (1 + 1e-9):
        assert r[int(np.argmax(p))] == pytest.approx(1.0)
        assert r[int(np.argmin(p))] == pytest.approx(-0.5)


@given(unit, unit, st.floats(-1.0, 1.0))
def test_utility_monotone_in_distance(d1: float, d2: float, r: float) -> None:
    lo, hi = sorted((d1, d2))
    assert float(risk_utility(np.array(lo), r)) >= float(risk_utility(np.array(hi), r)) - 1e-12
    assert float(risk_utility(np.array(0.0), r)) == 1.0


@st.composite
def spatial(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 6))
    k = draw(st.integers(1, 3))
    pos = draw(hnp.arrays(np.float64, (n, k), elements=unit))
    sal = draw(hnp.arrays(np.float64, (n, k), elements=st.floats(0.01, 1.0)))
    return pos, sal


@given(spatial())
def test_distances_are_normalised(ps: tuple[np.ndarray, np.ndarray]) -> None:
    pos, sal = ps
    d = distances(pos, pos, sal)
    assert np.all(d >= 0.0) and np.all(d <= 1.0 + 1e-12)
    np.testing.assert_allclose(np.diag(d), 0.0, atol=1e-12)


@given(unit, unit, st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_bargain_between_the_two(xi: float, xj: float, si: float, sj: float, p: float) -> None:
    bi, bj = bargain(np.array([xi]), np.array([xj]), np.array([si]), np.array([sj]), p)
    lo, hi = min(xi, xj) - 5e-5, max(xi, xj) + 5e-5
    assert lo <= bi[0] <= hi and lo <= bj[0] <= hi


# ---------------------------------------------------------------- bad input

GOOD = (
    "Scen,Desc, 2, 1, \n"
    "Actor,Description,Influence,Pos,Sal, \n"
    "A,first, 10.0,30,40.0, \n"
    "B,second, 20.0,60,50.0, \n"
)


def test_good_minimal_csv_runs() -> None:
    inp = parse_ktab_csv(GOOD)
    assert inp.actor_names == ["A", "B"] and inp.dimension_names == ["Pos"]
    r = run_smp(inp)
    assert r.turns_run >= 1


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        (GOOD.replace("10.0,30", "-1,30"), "row 3, column 3", "capability -1 is negative"),
        (
            GOOD.replace("20.0,60,50.0", "20.0,60,abc"),
            "row 4, column 5",
            "salience 'abc' is not a number",
        ),
        (GOOD.replace("20.0,60,50.0", "20.0,60,nan"), "row 4, column 5", "not finite"),
        (
            GOOD.replace("A,first, 10.0,30,40.0", "A,first, 10.0,30"),
            "row 3",
            "expected 5 columns, found 4",
        ),
        (
            GOOD.replace("B,second, 20.0,60,50.0", "B,second, 20.0,60,50,7"),
            "row 4",
            "expected 5 columns, found 6",
        ),
        (GOOD.replace("Pos,Sal", "Pos"), "row 2", "expected 5 columns"),
        (GOOD.replace("Scen,Desc, 2, 1", "Scen,Desc, 2"), "row 1", "expected 4 columns"),
        (
            GOOD.replace("Scen,Desc, 2, 1", "Scen,Desc, two, 1"),
            "row 1, column 3",
            "not a whole number",
        ),
        (GOOD.replace("Scen,Desc, 2, 1", "Scen,Desc, 3, 1"), "row 5", "expected 3 actor rows"),
        (
            GOOD.replace("Scen,Desc, 2, 1", "Scen,Desc, 1, 1"),
            "row 1, column 3",
            "at least 2 actors",
        ),
        (GOOD.replace("20.0,60,50.0", "20.0,160,50.0"), "row 4, column 4", "outside [0, 100]"),
        (GOOD.replace("20.0,60,50.0", "20.0,60,150.0"), "row 4, column 5", "outside [0, 100]"),
        ('Scen,"Desc, 2, 1\n', "", "malformed CSV"),
        ("Scen,Desc, 2, 1\n", "row 2", "missing"),
    ],
)
def test_bad_csv(text: str, key: str, reason: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_ktab_csv(text, "in.csv")
    assert err.value.source == "in.csv"
    assert err.value.key == key
    assert reason in err.value.reason
    assert "\n" not in str(err.value) and str(err.value).startswith("in.csv")


def test_saliences_above_100() -> None:
    text = (
        "S,D, 2, 2, \nActor,Description,Influence,P1,S1,P2,S2, \n"
        "A,a, 10,30,60,40,50, \nB,b, 20,60,50,10,50, \n"
    )
    with pytest.raises(ScenarioError) as err:
        parse_ktab_csv(text, "in.csv")
    assert err.value.key == "row 3, columns 5, 7"
    assert "saliences sum to 110 > 100" in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as err:
        read_ktab_csv(tmp_path / "nope.csv")
    assert "cannot read" in err.value.reason


def test_smpinput_checks_arrays() -> None:
    def make(**kw: Any) -> SmpInput:
        base: dict[str, Any] = dict(
            name="s",
            description="",
            actor_names=["A", "B"],
            actor_descriptions=["", ""],
            dimension_names=["x"],
            capability=np.array([1.0, 2.0]),
            position=np.array([[0.1], [0.9]]),
            salience=np.array([[0.5], [0.5]]),
        )
        base.update(kw)
        return SmpInput(**base)

    assert make().n_actors == 2
    with pytest.raises(ScenarioError, match=r"capability\[1\]: -2 is negative"):
        make(capability=np.array([1.0, -2.0]))
    with pytest.raises(ScenarioError, match="expected shape"):
        make(position=np.array([0.1, 0.9]))
    with pytest.raises(ScenarioError, match="outside"):
        make(salience=np.array([[0.5], [1.5]]))
