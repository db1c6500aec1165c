"""The offers protocol on scenarios (docs/model.md, "Offers"): the candidate frontiers against
every schedule, the play as the value of an accepted offer, and hanoi-2019's headline."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.analysis.audit import audit_schedule
from detente.analysis.offers import Shared, frontiers, setups
from detente.errors import ScenarioError
from detente.model.play import play
from detente.model.schedules import all_schedules
from detente.model.worlds import joint_world
from detente.scenario import load_bytes


def scenario_text(draw: st.DrawFn) -> bytes:
    """A random two-party scenario: a proposes to b, b has two types that change what a gets
    from b's moves (interdependent values) and what b's own moves cost it."""
    half = st.integers(0, 8).map(lambda i: i / 2)
    lines = [
        '[scenario]\nid = "r"\ntitle = "r"',
        "[parameters]",
        f"x = {{ value = {draw(half)} }}",
        f"y = {{ value = {draw(half)} }}",
        f'[[parties]]\nid = "a"\nname = "A"\ndiscount = {draw(st.sampled_from([0.8, 0.9]))}\nunreciprocated_cost = {draw(half)}\ndefection_penalty = {draw(half)}',
        f'[[parties]]\nid = "b"\nname = "B"\ndiscount = {draw(st.sampled_from([0.8, 0.9]))}\ndefection_penalty = {draw(half)}',
    ]
    for i in range(draw(st.integers(1, 2))):
        rev = draw(st.booleans())
        lag = f"\nreversal_lag = {draw(st.integers(0, 2))}" if rev else ""
        lines.append(
            f'[[moves]]\nid = "a{i}"\nowner = "a"\nlabel = "a{i}"\ncost = {draw(half)}\nvalue = {{ b = {draw(half)} }}'
            f"\nreversible = {str(rev).lower()}\nreversal_cost = {draw(half) if rev else 0}{lag}"
        )
    for i in range(draw(st.integers(1, 2))):
        rev = draw(st.booleans())
        lag = f"\nreversal_lag = {draw(st.integers(0, 2))}" if rev else ""
        lines.append(
            f'[[moves]]\nid = "b{i}"\nowner = "b"\nlabel = "b{i}"\ncost = "y + {draw(half)}"\nvalue = {{ a = "x + {draw(half)}" }}'
            f"\nreversible = {str(rev).lower()}\nreversal_cost = {draw(half) if rev else 0}{lag}"
        )
    lines.append(f'[[types]]\nparty = "b"\nid = "t1"\nprior = 0.5\nparameters = {{ x = {draw(half)}, y = {draw(half)} }}')
    lines.append(f'[[types]]\nparty = "b"\nid = "t2"\nprior = 0.5\nparameters = {{ x = {draw(half)}, y = {draw(half)} }}')
    lines.append('[bargaining]\nprotocol = "offers"\nproposer = "a"\nrounds = 2')
    lines.append("[solver]\nmax_stage_moves = 1\nmax_stages = 3")
    return ("\n".join(lines) + "\n").encode()


@st.composite
def offer_scenarios(draw: st.DrawFn) -> bytes:
    return scenario_text(draw)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@SETTINGS
@given(offer_scenarios())
def test_the_solver_candidates_are_exactly_the_self_enforcing_frontier(text: bytes) -> None:
    """Certificate and completeness of the "solver" candidates: every candidate for a set A of
    types is self-enforcing in the world of every type in A, and every schedule that is, is
    weakly dominated by a candidate with no more stages (P's value in each world of A and the
    values of A's types)."""
    sc = load_bytes(text, "r.toml")
    types = sc.types_of("b")
    worlds = tuple(joint_world(sc, [t]) for t in types)
    p, r = 0, 1
    fronts = frontiers(sc, p, r, worlds)
    schedules = all_schedules(worlds[0], 5000)

    def feasible(stages: list[int], i: int) -> bool:
        g = worlds[i]
        return bool(audit_schedule(sc, [g.ids(s) for s in stages], game=g).feasible)

    def vector(stages: list[int], subset: tuple[int, ...]) -> np.ndarray:
        out = []
        for i in subset:
            v = play(worlds[i], stages).values
            out += [v[p], v[r]]
        return np.array(out)

    for subset, cands in fronts.items():
        for c in cands:
            assert all(feasible(list(c), i) for i in subset)
        vecs = [(vector(list(c), subset), len(c)) for c in cands]
        for stages in schedules:
            if not all(feasible(stages, i) for i in subset):
                continue
            v = vector(stages, subset)
            assert any(np.all(w >= v - 1e-9) and k <= len(stages) for w, k in vecs), (subset, stages)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(offer_scenarios())
def test_an_accepted_offer_is_worth_its_play(text: bytes) -> None:
    """The values the recursion uses are those of the play in the world of the true type, and
    with every schedule as a candidate the proposer does at least as well in expectation as
    with the frontiers when it has a single meeting (no screening dynamics)."""
    sc = load_bytes(text, "r.toml")
    (setup,) = setups(sc, "prior", rounds=1, candidates="all")
    for x, stages in enumerate(setup.candidates):
        for i, g in enumerate(setup.worlds):
            v = play(g, list(stages)).values
            assert setup.game.p_value[x, i] == pytest.approx(v[0])
            assert setup.game.r_value[x, i] == pytest.approx(v[1])
    (solver,) = setups(sc, "prior", rounds=1, candidates="solver")
    w_all = setup.solution.nodes[(1, setup.game.all)].proposer_value
    w_solver = solver.solution.nodes[(1, solver.game.all)].proposer_value
    assert w_all >= w_solver - 1e-9


def test_hanoi_offers_headline() -> None:
    """The re-coded hanoi-2019: the keeper DPRK opens with Yongbyon for UN relief, which only a
    pushover takes; the firm US refuses and is offered a smaller, reversible deal it takes."""
    r = detente.offers("hanoi-2019")
    keeper = next(v for v in r.by_proposer_type if v.proposer_type == "keeper")
    assert keeper.opening_takers == ["pushover"]
    assert any("un-relief" in stage for stage in keeper.opening or [])
    firm = next(pa for pa in keeper.paths if pa.responder_type == "firm")
    assert [m.accepted for m in firm.meetings] == [False, True]
    assert firm.meetings[0].belief_after == {"firm": 1.0}
    assert firm.deal is not None and all("un-relief" not in stage for stage in firm.deal)
    assert firm.play is not None and firm.play.ends_at is None  # the deal it takes is kept
    push = next(pa for pa in keeper.paths if pa.responder_type == "pushover")
    assert push.delay == 0 and push.play is not None and push.play.ends_at is None


def test_offers_errors_are_one_line() -> None:
    with pytest.raises(ScenarioError) as exc:
        detente.offers("hanoi-2019", proposer="china")
    assert "unknown party 'china'" in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(ScenarioError) as exc:
        detente.offers("hanoi-2019", rounds=0)
    assert "must lie in [1, 12]" in str(exc.value)
    with pytest.raises(ScenarioError):
        detente.offers("hanoi-2019", candidates="some")


def test_shared_work_gives_the_same_games_with_each_party_proposing() -> None:
    """The worlds, frontiers and plays shared between the two proposers' games of one scenario
    give exactly the games built apart, and shared work never crosses to another scenario."""
    sc = detente.load("hanoi-2019")
    work = Shared(sc)
    for proposer in [p.id for p in sc.parties]:
        apart = setups(sc, "posterior", proposer=proposer)
        together = setups(sc, "posterior", proposer=proposer, shared=work)
        for a, b in zip(apart, together, strict=True):
            assert a.candidates == b.candidates
            for field in ("p_value", "r_value", "p_flow", "r_flow", "p_disagreement", "r_disagreement"):
                assert np.array_equal(getattr(a.game, field), getattr(b.game, field))
            assert [n.proposer_value for n in a.solution.nodes.values()] == [
                n.proposer_value for n in b.solution.nodes.values()
            ]
    with pytest.raises(ValueError, match="another scenario"):
        setups(detente.load("hanoi-2019"), "posterior", shared=work)
