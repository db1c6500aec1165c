"""The offers protocol on a scenario (docs/model.md, "Offers"): the candidate offers, their
play in every world, the screening recursion and its paths in words.

The proposer P's type is known to both sides; the game is solved once per type of P and
reported per type and in expectation. The responder R's types are what P does not know. A
world (θ, t) is the scenario under P's type θ and R's type t together (interdependent values:
a type may change what the other side gets). An offer accepted by t is valued by its play in
world (θ, t), so a type that would pocket concessions and walk out accepts and then walks out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np

from detente.analysis import explain
from detente.analysis.audit import play_info, schedule_masks
from detente.analysis.types import BeliefsAt, beliefs_at
from detente.errors import ScenarioError, SolverLimitError
from detente.model.agents import Agent
from detente.model.bargaining import stage_key
from detente.model.game import Game
from detente.model.offers import (
    OfferGame,
    OffersSolution,
    equilibrium_path,
    offer_game_over,
    responds,
    solve_offers,
)
from detente.model.play import play, play_values
from detente.model.schedules import all_schedules
from detente.model.worlds import joint_world
from detente.results import (
    BeliefInterval,
    OfferMeeting,
    OfferPath,
    OffersResult,
    ProposalOffer,
    ProposerOffers,
)
from detente.scenario.model import PartyType, Scenario
from detente.solvers.robust import solve_robust

MAX_ALL_SCHEDULES = 20_000  # candidates = "all": beyond this, use the solver's frontiers
NO_TYPE = "-"  # the single type of a party without [[types]]


@dataclass(frozen=True, eq=False)
class OfferSetup:
    """One proposer type's game: its candidates, worlds and the recursion's inputs."""

    proposer_type: PartyType | None
    probability: float
    responder_types: tuple[PartyType | None, ...]
    worlds: tuple[Game, ...]  # world (θ, t), per responder type t
    candidates: tuple[tuple[int, ...], ...]  # stage masks
    game: OfferGame
    solution: OffersSolution


class Shared:
    """Work shared by the offers games of one scenario, e.g. with each party proposing
    (docs/model.md, "Offers"): a world (θ, t) is the same whichever party proposes, so it is
    built once, the frontier of its two agents is solved once, and a schedule is played in it
    once. Scoped to one scenario object: the games of another scenario never meet these."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._worlds: dict[frozenset[tuple[str, str]], Game] = {}
        self._frontiers: dict[tuple[object, ...], list[tuple[int, ...]]] = {}
        self._plays: dict[tuple[int, tuple[int, ...]], np.ndarray] = {}
        self._held: dict[int, Game] = {}  # every game keyed by id() stays alive, so ids stay unique

    def world(self, chosen: list[PartyType]) -> Game:
        """``joint_world`` of the chosen types: the types of different parties set disjoint
        parameters, so their order does not matter."""
        key = frozenset((t.party, t.id) for t in chosen)
        g = self._worlds.get(key)
        if g is None:
            g = self._worlds[key] = self._hold(joint_world(self.scenario, chosen))
        return g

    def frontier(
        self, base: Game, agents: list[tuple[int, Game]], solve: Callable[[], list[tuple[int, ...]]]
    ) -> list[tuple[int, ...]]:
        """The schedules of the Pareto frontier over ``agents`` on ``base``: a Pareto set does
        not depend on the order of its coordinates, so the agents are keyed as a set."""
        key = (id(self._hold(base)), *sorted((i, id(self._hold(g))) for i, g in agents))
        found = self._frontiers.get(key)
        if found is None:
            found = self._frontiers[key] = solve()
        return found

    def values(self, g: Game, stages: tuple[int, ...]) -> np.ndarray:
        """W(1) of the play of ``stages`` in ``g`` (read-only)."""
        key = (id(self._hold(g)), stages)
        v = self._plays.get(key)
        if v is None:
            v = self._plays[key] = play_values(g, list(stages))
        return v

    def _hold(self, g: Game) -> Game:
        return self._held.setdefault(id(g), g)


def _scoped(scenario: Scenario, shared: Shared | None) -> Shared:
    if shared is None:
        return Shared(scenario)
    if shared.scenario is not scenario:
        raise ValueError("the shared offers work belongs to another scenario")
    return shared


def _roles(scenario: Scenario, proposer: str | None) -> tuple[int, int]:
    if len(scenario.parties) != 2:
        raise ScenarioError(
            scenario.origin, "bargaining.protocol", f'"offers" needs exactly two parties, this scenario has {len(scenario.parties)}'
        )
    ids = [p.id for p in scenario.parties]
    who = proposer if proposer is not None else scenario.bargaining.proposer
    if who is None:
        raise ScenarioError(scenario.origin, "proposer", f"name the proposer (one of {', '.join(ids)})")
    if who not in ids:
        raise ScenarioError(scenario.origin, "proposer", f"unknown party {who!r} (one of {', '.join(ids)})")
    p = ids.index(who)
    return p, 1 - p


def setups(
    scenario: Scenario,
    at: BeliefsAt = "posterior",
    proposer: str | None = None,
    rounds: int | None = None,
    candidates: str | None = None,
    shared: Shared | None = None,
) -> list[OfferSetup]:
    """The offers game of ``scenario`` for every type of the proposer (``shared``: the work
    already done for this scenario, e.g. with the other party proposing)."""
    work = _scoped(scenario, shared)
    p, r = _roles(scenario, proposer)
    n_rounds = scenario.bargaining.rounds if rounds is None else rounds
    if not 1 <= n_rounds <= 12:
        raise ScenarioError(scenario.origin, "rounds", f"must lie in [1, 12], got {n_rounds}")
    kind = candidates or scenario.bargaining.candidates
    b = beliefs_at(scenario, at)
    pid, rid = scenario.parties[p].id, scenario.parties[r].id
    p_types: list[PartyType | None] = list(scenario.types_of(pid)) or [None]
    r_types: tuple[PartyType | None, ...] = tuple(scenario.types_of(rid)) or (None,)
    r_names = tuple(NO_TYPE if t is None else t.id for t in r_types)
    belief = np.array([1.0 if t is None else float(b.get(rid, {}).get(t.id, 0.0)) for t in r_types])
    out = []
    for theta in p_types:
        worlds = tuple(work.world([t for t in (theta, rt) if t is not None]) for rt in r_types)
        cands = _candidates(scenario, kind, p, r, theta, r_types, worlds, work)
        game = _offer_game(r_names, belief, n_rounds, scenario.bargaining.round_length, worlds, cands, p, r, work)
        prob = 1.0 if theta is None else float(b.get(pid, {}).get(theta.id, 0.0))
        out.append(OfferSetup(theta, prob, r_types, worlds, cands, game, solve_offers(game)))
    return out


def _candidates(
    scenario: Scenario,
    kind: str,
    p: int,
    r: int,
    theta: PartyType | None,
    r_types: tuple[PartyType | None, ...],
    worlds: tuple[Game, ...],
    shared: Shared,
) -> tuple[tuple[int, ...], ...]:
    """The offers P considers, in the Nash deal's tie-break order (fewer stages, then the
    stages' ids): every schedule, the proposals, or the solver's frontiers plus the proposals."""
    base = worlds[0]
    found: set[tuple[int, ...]] = set()
    if kind == "all":
        try:
            found.update(tuple(s) for s in all_schedules(base, MAX_ALL_SCHEDULES))
        except SolverLimitError as exc:
            raise SolverLimitError(f"{scenario.origin}: bargaining.candidates: {exc}") from None
    elif kind == "solver":
        for frontier in frontiers(scenario, p, r, worlds, shared).values():
            found.update(frontier)
    for prop in scenario.proposals:
        masks = schedule_masks(base, [list(s) for s in prop.stages], f"proposals[{prop.id}]", scenario.origin)
        found.add(tuple(masks))
    return tuple(sorted(found, key=lambda st: stage_key(base, list(st))))


def frontiers(
    scenario: Scenario, p: int, r: int, worlds: tuple[Game, ...], shared: Shared | None = None
) -> dict[tuple[int, ...], list[tuple[int, ...]]]:
    """For every non-empty set A of the responder's types (indices into ``worlds``), the Pareto
    frontier — in P's value in each world of A, the values of A's types and the number of
    stages — of the schedules self-enforcing in the world of every type in A: the exact
    type-robust DP with every agent enforced (docs/model.md, "Offers")."""
    work = _scoped(scenario, shared)
    out: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
    for size in range(1, len(worlds) + 1):
        for subset in combinations(range(len(worlds)), size):
            agents = []
            for i in subset:
                agents.append(Agent(scenario.parties[p].id, p, None, 1.0, worlds[i]))
                agents.append(Agent(scenario.parties[r].id, r, None, 1.0, worlds[i]))

            def solve(base: Game = worlds[subset[0]], agents: list[Agent] = agents) -> list[tuple[int, ...]]:
                try:
                    res = solve_robust(base, agents, 0.0, scenario.solver.max_transitions)
                except SolverLimitError as exc:
                    raise SolverLimitError(f"{scenario.origin}: solver: {exc}") from None
                return [tuple(plan.stages) for plan in res.frontier if plan.stages]

            out[subset] = work.frontier(worlds[subset[0]], [(a.party_index, a.game) for a in agents], solve)
    return out


def _offer_game(
    names: tuple[str, ...],
    belief: np.ndarray,
    rounds: int,
    round_length: int,
    worlds: tuple[Game, ...],
    cands: tuple[tuple[int, ...], ...],
    p: int,
    r: int,
    shared: Shared,
) -> OfferGame:
    return offer_game_over(worlds, cands, belief, rounds, round_length, p, r, shared.values, names=names)


def offers(
    scenario: Scenario,
    at: BeliefsAt = "posterior",
    proposer: str | None = None,
    rounds: int | None = None,
    candidates: str | None = None,
    solved: list[OfferSetup] | None = None,
) -> OffersResult:
    """The equilibrium of the offers protocol, per proposer type, with its paths in words
    (``solved``: the setups already built with these arguments)."""
    p, r = _roles(scenario, proposer)
    all_setups = solved if solved is not None else setups(scenario, at, proposer, rounds, candidates)
    words = explain.Words(scenario)
    pid, rid = scenario.parties[p].id, scenario.parties[r].id
    views = [_view(scenario, words, s, pid, rid) for s in all_setups]
    total = sum(v.probability for v in views) or 1.0
    expected = {
        party: sum(v.probability * v.expected_values[party] for v in views) / total for party in (pid, rid)
    }
    first = all_setups[0]
    return OffersResult(
        scenario=scenario.id,
        proposer=pid,
        responder=rid,
        beliefs_at=at,
        beliefs=beliefs_at(scenario, at),
        rounds=first.game.rounds,
        round_length=first.game.round_length,
        candidates=candidates or scenario.bargaining.candidates,
        offers_considered=max(len(s.candidates) for s in all_setups),
        by_proposer_type=views,
        expected_values=expected,
        summary=_summary(words, views, pid, rid),
    )


def _schedule(g: Game, stages: tuple[int, ...]) -> list[list[str]]:
    return [g.ids(s) for s in stages]


def _view(scenario: Scenario, words: explain.Words, setup: OfferSetup, pid: str, rid: str) -> ProposerOffers:
    g = setup.game
    sol = setup.solution
    base = setup.worlds[0]
    paths = []
    for i, rt in enumerate(setup.responder_types):
        path = equilibrium_path(sol, g.types[i])
        meetings = []
        for m in path.meetings:
            node = sol.nodes[(m.meeting, g.mask(list(m.belief)))]
            offer = None if m.offer is None else _schedule(base, setup.candidates[m.offer])
            refusers = list(g.names(node.refusers)) if m.offer is not None and node.refusers else []
            after = None
            if not m.accepted and m.belief_after is not None:
                w = g.weights(g.mask(list(m.belief_after)))
                after = {g.types[j]: float(w[j]) for j in range(g.n_types) if w[j] > 0 or g.types[j] in m.belief_after}
            meetings.append(
                OfferMeeting(
                    meeting=m.meeting,
                    period=m.period,
                    belief=m.belief,
                    offer=offer,
                    refusers=refusers,
                    accepted=m.accepted,
                    belief_after=after,
                    sentence=_meeting_sentence(words, pid, rid, rt, offer, m.accepted, refusers, after, g.types),
                )
            )
        deal = None if path.deal is None else _schedule(base, setup.candidates[path.deal])
        played = None
        if path.deal is not None:
            world = setup.worlds[i]
            played = play_info(world, play(world, list(setup.candidates[path.deal])), words)
        paths.append(
            OfferPath(
                responder_type=None if rt is None else rt.id,
                probability=float(g.belief[i]),
                meetings=meetings,
                deal=deal,
                delay=path.delay,
                values={pid: path.proposer_value, rid: path.responder_value},
                play=played,
                sentence=_path_sentence(words, pid, rid, rt, path.delay, deal, played),
            )
        )
    weights = g.belief
    ev = {
        pid: float(sum(w * pa.values[pid] for w, pa in zip(weights, paths, strict=True))),
        rid: float(sum(w * pa.values[rid] for w, pa in zip(weights, paths, strict=True))),
    }
    dis = {pid: float(weights @ g.p_disagreement), rid: float(weights @ g.r_disagreement)}
    dealt = [(w, pa) for w, pa in zip(weights, paths, strict=True) if pa.deal is not None]
    p_deal = float(sum(w for w, _ in dealt))
    delay = float(sum(w * (pa.delay or 0) for w, pa in dealt) / p_deal) if p_deal > 0 else None
    root = sol.nodes[(1, g.all)]
    opening = None if root.offer is None else _schedule(base, setup.candidates[root.offer])
    takers = [] if root.offer is None else [t for t, ok in responds(sol, 1, g.all, root.offer).items() if ok]
    n_removed = len(sol.removed)
    return ProposerOffers(
        proposer_type=None if setup.proposer_type is None else setup.proposer_type.id,
        probability=setup.probability,
        label="pure-strategy equilibrium" if not n_removed else f"pure-strategy equilibrium, {n_removed} of {g.n_offers} offers removed where no pure-strategy response exists",
        removed=n_removed,
        opening=opening,
        opening_takers=takers,
        opening_against=opening_against(setup),
        paths=paths,
        expected_values=ev,
        disagreement=dis,
        expected_delay=delay,
        p_deal=p_deal,
        proposals=_proposals(scenario, words, setup, pid, rid),
    )


def opening_against(setup: OfferSetup, steps: int = 40, precision: float = 1e-3) -> list[BeliefInterval]:
    """With two responder types: the interval of P's belief in each type over which P's first
    offer is the equilibrium's (a grid, its ends refined by bisection)."""
    g = setup.game
    if g.n_types != 2:
        return []
    target = setup.solution.nodes[(1, g.all)].offer

    def opens(q: float) -> bool:
        game = replace(g, belief=np.array([1.0 - q, q]))
        return solve_offers(game).nodes[(1, g.all)].offer == target

    q0 = float(g.belief[1])
    grid = [i / steps for i in range(steps + 1)]
    inside = [opens(q) for q in grid]
    lo_i = hi_i = min(range(len(grid)), key=lambda i: abs(grid[i] - q0))
    if not inside[lo_i]:
        return []
    while lo_i > 0 and inside[lo_i - 1]:
        lo_i -= 1
    while hi_i < steps and inside[hi_i + 1]:
        hi_i += 1

    def edge(good: float, bad: float) -> float:
        while abs(good - bad) > precision:
            mid = (good + bad) / 2
            if opens(mid):
                good = mid
            else:
                bad = mid
        return good

    low = grid[lo_i] if lo_i == 0 else edge(grid[lo_i], grid[lo_i - 1])
    high = grid[hi_i] if hi_i == steps else edge(grid[hi_i], grid[hi_i + 1])
    return [
        BeliefInterval(type=g.types[1], low=round(low, 3), high=round(high, 3)),
        BeliefInterval(type=g.types[0], low=round(1.0 - high, 3), high=round(1.0 - low, 3)),
    ]


def _proposals(scenario: Scenario, words: explain.Words, setup: OfferSetup, pid: str, rid: str) -> list[ProposalOffer]:
    """Each proposal on the table as P's first offer: who takes it, against which beliefs it
    is P's best first offer, and what P offers first instead."""
    g = setup.game
    sol = setup.solution
    base = setup.worlds[0]
    index = {c: x for x, c in enumerate(setup.candidates)}
    root = sol.nodes[(1, g.all)]
    best = None if root.offer is None else _schedule(base, setup.candidates[root.offer])
    out = []
    for prop in scenario.proposals:
        masks = tuple(schedule_masks(base, [list(s) for s in prop.stages], prop.id))
        x = index[masks]
        if int(root.offer_refusers[x]) < 0:
            takers: list[str] = []
        else:
            takers = [t for t, ok in responds(sol, 1, g.all, x).items() if ok]
        optimal = [list(g.names(s)) for s in range(1, g.all + 1) if sol.nodes[(1, s)].offer == x]
        out.append(
            ProposalOffer(
                proposal=prop.id,
                accepted_by=takers,
                optimal_against=optimal,
                best_offer=best,
                sentence=_proposal_sentence(words, scenario, prop.id, pid, rid, takers, optimal, g.types),
            )
        )
    return out


def _who(words: explain.Words, rid: str, t: str) -> str:
    return words.party(rid) if t == NO_TYPE else f"the {t} {words.party(rid)}"


def _meeting_sentence(
    words: explain.Words,
    pid: str,
    rid: str,
    rt: PartyType | None,
    offer: list[list[str]] | None,
    accepted: bool,
    refusers: list[str],
    after: dict[str, float] | None,
    types: tuple[str, ...],
) -> str:
    who = words.party(pid)
    if offer is None:
        return f"{who} makes no offer; the meeting passes."
    text = f"{who} offers {explain.schedule_words(words, offer)}"
    if refusers:
        text += "; it expects " + " and ".join(_who(words, rid, t) for t in refusers) + " to refuse"
    true = NO_TYPE if rt is None else rt.id
    if accepted:
        return text + f"; {_who(words, rid, true)} accepts."
    text += f"; {_who(words, rid, true)} refuses"
    if after:
        text += ", after which " + who + " believes " + ", ".join(f"{t} {p:.2f}" for t, p in after.items())
    return text + "."


def _path_sentence(
    words: explain.Words,
    pid: str,
    rid: str,
    rt: PartyType | None,
    delay: int | None,
    deal: list[list[str]] | None,
    played: object,
) -> str:
    who = _who(words, rid, NO_TYPE if rt is None else rt.id)
    if deal is None:
        return f"Against {who} the talks end without a deal."
    when = "at the first meeting" if not delay else f"after {delay} period{'s' if delay != 1 else ''}"
    text = f"Against {who} a deal is struck {when}: {explain.schedule_words(words, deal)}."
    sentence = getattr(played, "sentence", "")
    if sentence and not sentence.startswith("Nobody quits"):
        text += " Then: " + sentence
    return text


def _proposal_sentence(
    words: explain.Words,
    scenario: Scenario,
    proposal: str,
    pid: str,
    rid: str,
    takers: list[str],
    optimal: list[list[str]],
    types: tuple[str, ...],
) -> str:
    prop = scenario.proposal(proposal)
    name = prop.label or proposal
    if takers:
        who = " and ".join(_who(words, rid, t) for t in takers)
        took = f"as {words.party(pid)}'s first offer, only {who} would take it" if len(takers) < len(types) else f"as {words.party(pid)}'s first offer, every type of {words.party(rid)} would take it"
    else:
        took = f"as {words.party(pid)}'s first offer, no type of {words.party(rid)} would take it"
    if optimal:
        against = "; ".join(" or ".join(s) for s in optimal)
        best = f"it is {words.party(pid)}'s best first offer only if it believes {words.party(rid)} is {against}"
    else:
        best = f"it is {words.party(pid)}'s best first offer under no belief about {words.party(rid)}'s type"
    return f"{name}: {took}; {best}."


def _summary(words: explain.Words, views: list[ProposerOffers], pid: str, rid: str) -> str:
    parts = []
    for v in views:
        who = words.party(pid) if v.proposer_type is None else f"{words.party(pid)} as {v.proposer_type}"
        deal = "a deal" if v.p_deal > 0 else "no deal"
        parts.append(
            f"{who}: {deal} with probability {v.p_deal:.2f}"
            + ("" if v.expected_delay is None else f", after {v.expected_delay:.1f} periods on average")
            + f"; expected values {words.party(pid)} {v.expected_values[pid]:.2f}, {words.party(rid)} {v.expected_values[rid]:.2f}"
            + f" (no deal {v.disagreement[pid]:.2f}, {v.disagreement[rid]:.2f})."
        )
    return " ".join(parts)
