"""Summits under protocol "offers" in simulated histories (docs/model.md, "Summit versus working
level"): the proposer's game measured from no deal chooses as the offers game does, the
responder's answer is its best response, the shock hazard is exactly a discount on values
measured from no deal, a type's numbers are read around the type's value, and the table
reports P(signed) by the proposer's true type, the same on every executor."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import detente
from detente.analysis.offers import Shared, _offer_game
from detente.model.offers import annuity, responds, solve_offers
from detente.model.worlds import joint_world
from detente.parallel import Execution
from detente.scenario.loader import load_bytes
from detente.uncertainty import history
from detente.uncertainty.distributions import support
from detente.uncertainty.simulate import run, typing_of, worlds_for
from detente.uncertainty.summit import meetings_left, offer_game, responder_accepts


@pytest.fixture(scope="module")
def hanoi() -> detente.Scenario:
    return detente.load("hanoi-2019")


def _setting(sc: detente.Scenario, proposer_type: str) -> tuple[list[object], list[tuple[int, ...]], int, int]:
    """The DPRK (of ``proposer_type``) proposing to the US types, in the true worlds; the
    candidates are the proposals and the solver's deal in each US type's world."""
    us = sc.types_of("us")
    theta = next(t for t in sc.types_of("dprk") if t.id == proposer_type)
    worlds = [joint_world(sc, [t, theta]) for t in us]
    found = set(history._proposal_masks(sc, worlds[0]))
    w = worlds_for(sc)
    for t in us:
        params = dict(sc.parameters) | dict(t.overrides) | dict(theta.overrides)
        plan = w.best(params, sc.solver.max_transitions)
        if plan is not None and plan.stages:
            found.add(tuple(plan.stages))
    ids = [p.id for p in sc.parties]
    return worlds, sorted(found), ids.index("dprk"), ids.index("us")  # type: ignore[return-value]


@pytest.mark.parametrize("proposer_type", ["keeper", "trader"])
@pytest.mark.parametrize("meetings", [1, 2, 3])
@pytest.mark.parametrize("belief", [0.2, 0.63, 0.9])
def test_measured_from_no_deal_the_game_chooses_as_the_offers_game(
    hanoi: detente.Scenario, proposer_type: str, meetings: int, belief: float
) -> None:
    """Without shocks, the history's game (values measured from no deal) picks the offer, the
    refusers and the belief after a refusal at every node that the offers game of ``detente
    offers`` picks on the same candidates; and the responder's answer, each type in its own
    true world, is the offers game's ``responds``."""
    worlds, cands, p, r = _setting(hanoi, proposer_type)
    pi = np.array([belief, 1 - belief])
    ours = solve_offers(offer_game(worlds, cands, pi, meetings, 3, 1.0, p, r))  # type: ignore[arg-type]
    theirs = solve_offers(_offer_game(("firm", "pushover"), pi, meetings, 3, tuple(worlds), tuple(cands), p, r, Shared(hanoi)))  # type: ignore[arg-type]
    for key, node in theirs.nodes.items():
        mine = ours.nodes[key]
        assert (mine.offer, mine.refusers, mine.after_refusal) == (node.offer, node.refusers, node.after_refusal)
    first = theirs.nodes[(1, theirs.game.all)]
    if first.offer is None:
        return
    answers = responds(theirs, 1, theirs.game.all, first.offer)
    for i, t in enumerate(("firm", "pushover")):
        assert responder_accepts(ours, cands, worlds[i], r, 1.0) is answers[t]  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(
    u=st.floats(-5, 5),
    d=st.floats(-50, 50),
    v=st.floats(-50, 50),
    delta=st.floats(0.5, 0.99),
    h=st.floats(0.0, 0.5),
    periods=st.integers(0, 12),
)
def test_the_hazard_is_a_discount_on_values_from_no_deal(u: float, d: float, v: float, delta: float, h: float, periods: int) -> None:
    """A deal taken at period T while after each period of talks (worth u) a shock ends them
    with probability h, in no deal (worth d from the next period on): summed over the shock's
    date, it is worth d + ũ·a'(T) + (δ(1 − h))^T (V − d), with ũ = u − (1 − δ)d and a' the
    annuity at δ(1 − h)."""
    by_shock = sum(
        (1 - h) ** k * h * (u * (1 - delta ** (k + 1)) / (1 - delta) + delta ** (k + 1) * d) for k in range(periods)
    )
    by_shock += (1 - h) ** periods * (u * (1 - delta**periods) / (1 - delta) + delta**periods * v)
    dd = delta * (1 - h)
    ours = d + (u - (1 - delta) * d) * float(annuity(np.array([dd]), periods)[0]) + dd**periods * (v - d)
    assert ours == pytest.approx(by_shock, rel=1e-9, abs=1e-9)


def test_a_types_number_is_read_around_the_types_value(hanoi: detente.Scenario) -> None:
    """The US reads the trader's deterrent around the trader's number (scaled by the draw), not
    clipped into the support of the keeper's distribution: with no misreading it is the
    trader's number exactly."""
    typing = typing_of(hanoi, "posterior")
    d = history.draw_history(hanoi, 5, 19)
    chosen = history.true_types(typing, d.type_u)  # type: ignore[arg-type]
    belief = [[list(b) for b in typing.belief] for _ in typing.belief]
    us, dprk = 0, 1
    trader = typing.types[dprk].index("trader")
    owners = {n: p.owner for n, p in hanoi.spec.parameters.items()}  # type: ignore[union-attr]
    supports = {x.parameter: support(x) for x in hanoi.uncertainty.distributions}  # type: ignore[union-attr]
    base = history.believed(typing, us, chosen, belief[us], d.truth, hanoi.parameters, (dprk, trader))
    exact = history.perception(hanoi, d, us, 0.0, owners, supports, base)
    want = history.type_value("deterrent", typing.overrides[dprk][trader]["deterrent"], d.truth, hanoi.parameters)
    assert exact["deterrent"] == pytest.approx(want)
    lo, hi = supports["deterrent"]
    assert want < lo  # the trader's number lies below the keeper's support: the case that was clipped
    read = history.perception(hanoi, d, us, 0.4, owners, supports, base)
    j = sorted(hanoi.parameters).index("deterrent")
    scale = want / d.truth["deterrent"]
    assert read["deterrent"] == pytest.approx(min(max(want * math.exp(0.4 * d.misreading[us, j]), lo * scale), hi * scale))


def test_meetings_left() -> None:
    assert [meetings_left(t, 8, 3) for t in range(8)] == [3, 3, 2, 2, 2, 1, 1, 1]
    assert meetings_left(0, 100, 1) == 12  # the offers game's bound


def test_the_table_by_proposer_type_and_determinism(hanoi: detente.Scenario) -> None:
    """hanoi-2019 (the DPRK proposes): P(signed) by the DPRK's true type covers every history,
    the US's refusals are counted, and the result is the same on 1 and 2 workers."""
    volatile = {"seconds", "workers", "executor"}
    one = run(hanoi, 24, seed=2, strategies=("summit-first", "working-1"), execution=Execution(1))
    two = run(hanoi, 24, seed=2, strategies=("summit-first", "working-1"), execution=Execution(2))
    assert one.model_dump(exclude=volatile) == two.model_dump(exclude=volatile)
    assert one.proposer == "dprk"
    for s in one.strategies:
        assert set(s.histories_by_proposer_type) <= {"trader", "keeper"}
        assert sum(s.histories_by_proposer_type.values()) == 24
        signed = sum(s.signed_by_proposer_type[k].estimate * n for k, n in s.histories_by_proposer_type.items())  # type: ignore[operator]
        assert signed == pytest.approx(s.p_signed.estimate * 24)  # type: ignore[operator]
    assert one.strategies[0].summit_refused["dprk"] == 0.0  # the proposer never refuses its own offer


def test_a_mediated_protocol_has_no_proposer() -> None:
    from test_histories_v2 import TYPED

    r = run(load_bytes(TYPED, "typed.toml"), 10, seed=1, strategies=("summit-first",), execution=Execution(1), beliefs="prior")
    assert r.proposer is None and r.strategies[0].signed_by_proposer_type == {}


def test_a_summit_met_again_under_another_strategy_is_the_same_summit(hanoi: detente.Scenario) -> None:
    """The summits a history's strategies share (``summits_held``) change no outcome: each
    strategy's history is the one simulated alone; and some summits are shared."""
    typing = typing_of(hanoi)
    owners = {n: p.owner for n, p in hanoi.spec.parameters.items()}  # type: ignore[union-attr]
    worlds = worlds_for(hanoi)
    shared = 0
    for i in range(12):
        d = history.draw_history(hanoi, 11, i)
        held: dict[tuple[float, tuple[float, ...], int], object] = {}
        for rounds in (0, 1, 2, 4):
            before = len(held)
            alone = history.simulate(hanoi, worlds, d, rounds, owners, hanoi.solver.max_transitions, typing)
            memo = history.simulate(hanoi, worlds, d, rounds, owners, hanoi.solver.max_transitions, typing, held)  # type: ignore[arg-type]
            shared += rounds > 0 and len(held) == before and memo.summits > 0
            for field in alone.__dataclass_fields__:
                a, b = getattr(alone, field), getattr(memo, field)
                assert np.array_equal(a, b, equal_nan=True) if isinstance(a, np.ndarray) else a == b or (a != a and b != b), field
    assert shared > 0
