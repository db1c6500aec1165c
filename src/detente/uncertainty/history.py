"""One simulated history of the talks (docs/model.md, "Summit versus working level"), as pure functions.

A history draws the true parameters and each party's misreading of the parameters it does not
own, then follows one strategy (``n`` working-level rounds before each summit) until a deal is
signed or the horizon T passes; a signed deal is then played under the true parameters.
Strategies are compared on the same draws (common random numbers): a history's random numbers
depend only on the seed and the history's index, never on the strategy, the worker or the chunk.

Decisions (docs/model.md, "Summit versus working level"):
- Misreadings are drawn once per history, ε[p, name] ~ N(0, 1): party p sees parameter ``name``
  (not its own) as θ·exp(σ·ε), and working-level rounds shrink σ, not ε: talks correct a
  misreading, they do not replace it with a fresh one.
- While talks go on, the parties live in the no-deal state; the schedule starts from the
  scenario's status quo when signed.
- The deal is played under the truth with the checks of 'Deviations' and 'The final agreement' (docs/model.md) in order: at the first
  stage (or the final agreement) where some party's true best overt deviation beats complying,
  that party defects (the lowest-indexed if several); the others snap back as in 'Deviations' (docs/model.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from detente.errors import ScenarioError
from detente.model.bargaining import disagreement, stage_key
from detente.model.deviation import Deviation, overt_deviation, reversal_total
from detente.model.game import TOLERANCE, Game
from detente.model.payoffs import flow_utility, one_time_cost, schedule_values, states_of
from detente.model.play import play as play_v2
from detente.model.stability import overt_final
from detente.scenario.model import Scenario
from detente.solvers.dp import Plan
from detente.uncertainty.distributions import draw, support
from detente.uncertainty.summit import Answer, meetings_left, offer_game, summit


class World(Protocol):
    """Parameters -> the compiled game, and the solver's deal for them (both may be memoised)."""

    def __call__(self, params: dict[str, float]) -> Game: ...

    def best(self, params: dict[str, float], max_transitions: int) -> Plan | None: ...


@dataclass(frozen=True)
class Draw:
    """The random part of one history, shared by every strategy."""

    truth: dict[str, float]
    misreading: NDArray[np.float64]  # [party, parameter] standard normals, parameters sorted by name
    chance: NDArray[np.float64] | None = None  # [period, party + 1] uniforms: refusals by party, then the shock
    type_u: NDArray[np.float64] | None = None  # [party] uniforms: each party's true type


@dataclass(frozen=True)
class Typing:
    """The parties' types as plain data (docs/model.md, "Summit versus working level"): by party
    index, its type ids, the belief the others hold about it, and what each type overrides."""

    types: tuple[tuple[str, ...], ...]
    belief: tuple[tuple[float, ...], ...]
    overrides: tuple[tuple[dict[str, float], ...], ...]

    @property
    def active(self) -> bool:
        return any(self.types)


def true_types(typing: Typing, u: NDArray[np.float64]) -> tuple[int, ...]:
    """Each party's true type index (−1: a party without types), by inverse CDF of the belief."""
    out = []
    for q, belief in enumerate(typing.belief):
        if not belief:
            out.append(-1)
            continue
        cum = np.cumsum(belief)
        out.append(int(min(np.searchsorted(cum, u[q] * cum[-1], side="right"), len(belief) - 1)))
    return tuple(out)


def type_value(name: str, override: float, drawn: dict[str, float], base: dict[str, float]) -> float:
    """A type's value of a parameter whose base value also has a distribution: the type's value
    scaled by the draw (the distribution is the uncertainty around the base, in proportion)."""
    b = base.get(name, 0.0)
    return override * drawn[name] / b if b and drawn[name] != b else override


def typed_truth(typing: Typing, chosen: tuple[int, ...], drawn: dict[str, float], base: dict[str, float]) -> dict[str, float]:
    """The true parameters: the drawn numbers, with each party's true type's overrides."""
    out = dict(drawn)
    for q, t in enumerate(chosen):
        if t >= 0:
            for name, v in typing.overrides[q][t].items():
                out[name] = type_value(name, v, drawn, base)
    return out


def believed(
    typing: Typing, p: int, chosen: tuple[int, ...], belief: list[list[float]], drawn: dict[str, float],
    base: dict[str, float], fix: tuple[int, int] | None = None,
) -> dict[str, float]:
    """The numbers party p works from before misreading: its own type's true values, and for
    every other party's type-dependent numbers their expectation under p's belief (or, with
    ``fix = (q, t)``, type t's values for party q)."""
    out = typed_truth(typing, tuple(t if q == p else -1 for q, t in enumerate(chosen)), drawn, base)
    for q, types in enumerate(typing.types):
        if q == p or not types:
            continue
        names = {n for o in typing.overrides[q] for n in o}
        for name in names:
            if fix is not None and fix[0] == q:
                o = typing.overrides[q][fix[1]]
                out[name] = type_value(name, o[name], drawn, base) if name in o else drawn[name]
            else:
                out[name] = sum(
                    w * (type_value(name, o[name], drawn, base) if name in o else drawn[name])
                    for w, o in zip(belief[q], typing.overrides[q], strict=True)
                )
    return out


# Why a history ends without a deal, the first that applies (docs/model.md, "Summit versus working level")
NO_DEAL_REASONS = ("no-true-deal", "shock", "refused-working", "refused-offers", "out-of-time")


@dataclass(frozen=True)
class Outcome:
    """What happened in one history under one strategy."""

    signed_at: int | None  # the period the schedule starts, if a deal was signed by T
    summits: int
    holds: bool
    defector: int | None  # the party that broke the deal, if it collapsed
    collapse_stage: int | None  # the stage it collapsed at (K + 1: the final agreement)
    values: NDArray[np.float64]  # each party's true discounted value of the whole history
    no_deal: str | None = None  # one of NO_DEAL_REASONS when nothing was signed
    working_refused: tuple[int, ...] = ()  # by party: working-level rounds it refused
    summit_refused: tuple[int, ...] = ()  # by party: summit proposals it would not sign
    working_held: int = 0  # working-level rounds held (not refused)
    types: tuple[int, ...] = ()  # each party's true type index (−1: no types); () without types
    learnt: tuple[float, ...] = ()  # by party: its belief in the others' true types, end − start (nan: none)


def shock_period(chance: NDArray[np.float64] | None, hazard: float, horizon: int) -> int:
    """The first period a shock ends the talks (``horizon`` if none does)."""
    if chance is None or hazard <= 0:
        return horizon
    hit = np.flatnonzero(chance[:horizon, -1] < hazard)
    return int(hit[0]) if hit.size else horizon


def refusers(chance: NDArray[np.float64] | None, refusal: tuple[float, ...], t: int) -> list[int]:
    """The parties that refuse the working-level round of period t."""
    if chance is None or not refusal:
        return []
    return [p for p, r in enumerate(refusal) if chance[t, p] < r]


def history_seed(seed: int, index: int) -> np.random.SeedSequence:
    """The seed of history ``index``: the same as SeedSequence(seed).spawn(n)[index] for any n."""
    return np.random.SeedSequence(seed, spawn_key=(index,))


def draw_history(scenario: Scenario, seed: int, index: int) -> Draw:
    rng = np.random.default_rng(history_seed(seed, index))
    assert scenario.uncertainty is not None
    truth = dict(scenario.parameters)
    for d in scenario.uncertainty.distributions:
        truth[d.parameter] = float(draw(d, rng))
    names = sorted(scenario.parameters)
    misreading = rng.standard_normal((len(scenario.parties), len(names)))
    # drawn after the misreadings, so that the draws of version 1 are unchanged
    chance = rng.random((scenario.uncertainty.horizon, len(scenario.parties) + 1))
    type_u = rng.random(len(scenario.parties))
    return Draw(truth, misreading, chance, type_u)


def perception(
    scenario: Scenario,
    d: Draw,
    p: int,
    sigma: float,
    owners: dict[str, str | None],
    supports: dict[str, tuple[float, float]],
    base: dict[str, float] | None = None,
) -> dict[str, float]:
    """What party p believes the parameters are when the misreading has scale σ (of ``base``,
    the numbers it works from, default the truth). A reading of an uncertain parameter stays
    within its distribution's support, scaled as the number read is scaled from the draw (a
    type's number, or a belief's average of them); every reading stays within its parameter's
    domain (a probability read as 1.1 is read as 1)."""
    pid = scenario.parties[p].id
    source = d.truth if base is None else base
    out = {}
    for j, name in enumerate(sorted(scenario.parameters)):
        value = source[name]
        if owners.get(name) != pid:
            # the support bounds the drawn number; a type's number is the draw scaled
            # (type_value), and so is the support that bounds a reading of it
            scale = value / d.truth[name] if base is not None and d.truth[name] else 1.0
            value *= math.exp(sigma * d.misreading[p, j])
            if name in supports:
                lo, hi = sorted((supports[name][0] * scale, supports[name][1] * scale))
                value = min(max(value, lo), hi)
            if name in scenario.domains:  # nobody reads a number the parameter cannot take
                lo, hi = scenario.domains[name]
                value = min(max(value, lo), hi)
        out[name] = value
    return out


def _read(scenario: Scenario, world: World, params: dict[str, float], who: str) -> Game:
    """The game as someone reads it; a misreading that breaks the scenario is the analyst's to fix."""
    try:
        return world(params)
    except ScenarioError as exc:
        raise ScenarioError(
            scenario.origin,
            "uncertainty",
            f"as {who} misreads the parameters, {exc.key} becomes invalid ({exc.reason}); give the "
            "parameters it depends on a distribution, whose support bounds every reading",
        ) from None


def _propose(scenario: Scenario, world: World, mean: dict[str, float], max_transitions: int) -> Plan | None:
    """The mediator's proposal: the solver's deal for the parties' average reading."""
    _read(scenario, world, mean, "the mediator")  # a reading that breaks the scenario says so
    return world.best(mean, max_transitions)


def signs(g: Game, p: int, stages: list[int]) -> bool:
    """Party p, under its own reading g, signs iff the schedule is IC for it at every stage,
    its final agreement holds against its overt deviation, and it beats no deal."""
    values = schedule_values(g, stages)
    states = states_of(g, stages)
    for k, stage in enumerate(stages):
        dev = overt_deviation(g, states[k], stage, p)
        if dev is not None and values[k, p] < dev.value - TOLERANCE:
            return False
    if not overt_final(g, states[-1], p).holds:
        return False
    return bool(values[0, p] >= disagreement(g).values[p] - TOLERANCE)


def _victim_value(g: Game, dev: Deviation, s_prev: int, stage: int, deviator: int, p: int) -> float:
    """What party p (not the deviator) gets once ``deviator`` defects at this stage: the stage's
    state without the deviator's part, then the snapback (p pays for undoing its own moves)."""
    own = g.owned(deviator)
    x = (s_prev | (stage & ~own)) & ~dev.reversed
    y = x & ~dev.snapped
    d = float(g.delta[p])
    undo = reversal_total(g, dev.snapped & g.owned(p))
    return flow_utility(g, x, p) - undo + d * flow_utility(g, y, p) / (1.0 - d)


def play(g: Game, stages: list[int]) -> tuple[NDArray[np.float64], int | None, int | None]:
    """The schedule played under the truth: values from its start, the defector and the stage."""
    states = states_of(g, stages)
    n = g.n_parties
    acc = np.zeros(n)
    disc = np.ones(n)
    values = schedule_values(g, stages)  # values[k, p]: complying from stage k + 1 on
    for k, stage in enumerate(stages):
        for q in range(n):
            dev = overt_deviation(g, states[k], stage, q)
            if dev is not None and values[k, q] < dev.value - TOLERANCE:
                out = np.empty(n)
                for p in range(n):
                    out[p] = dev.value if p == q else _victim_value(g, dev, states[k], stage, q, p)
                return acc + disc * out, q, k + 1
        for p in range(n):
            acc[p] += disc[p] * (flow_utility(g, states[k + 1], p) - one_time_cost(g, stage, p))
            disc[p] *= g.delta[p]
    final = states[-1]
    for q in range(n):
        check = overt_final(g, final, q)
        if not check.holds and check.deviation is not None:
            dev = check.deviation
            out = np.empty(n)
            for p in range(n):
                out[p] = dev.value if p == q else _victim_value(g, dev, final, 0, q, p)
            return acc + disc * out, q, len(stages) + 1
    stay = np.array([flow_utility(g, final, p) / (1.0 - g.delta[p]) for p in range(n)])
    return acc + disc * stay, None, None


TREMBLE = 0.1  # the chance a side reads another's choice as a mistake (docs/model.md, "Summit versus working level")


def simulate(
    scenario: Scenario,
    world: World,
    d: Draw,
    working_rounds: int,
    owners: dict[str, str | None],
    max_transitions: int,
    typing: Typing | None = None,
    summits_held: dict[tuple[float, tuple[float, ...], int], Answer] | None = None,
) -> Outcome:
    """One history under the strategy "``working_rounds`` working-level rounds, then a summit",
    retried after each failure until the horizon or a shock, whichever comes first. With
    ``typing``, the true types are drawn, the truth is their world, each side reads the other's
    type-dependent numbers through its belief and updates that belief on each summit's answers.
    ``summits_held``: the same history's summits under "offers" under other strategies, by what
    decides one (the misreading's scale, the proposer's belief, the meetings left); a summit
    met again under another strategy is not solved again (filled in here)."""
    u = scenario.uncertainty
    assert u is not None
    typed = typing is not None and typing.active and d.type_u is not None
    chosen: tuple[int, ...] = true_types(typing, d.type_u) if typed else ()  # type: ignore[arg-type]
    truth_params = typed_truth(typing, chosen, d.truth, scenario.parameters) if typed else d.truth  # type: ignore[arg-type]
    truth = world(truth_params)
    n = truth.n_parties
    # belief[p][q]: what p believes about q's type (p's own row is unused)
    belief = [[list(typing.belief[q]) for q in range(n)] for _ in range(n)] if typed else []  # type: ignore[union-attr]
    start_belief = _on_truth(belief, chosen) if typed else ()
    supports = {x.parameter: support(x) for x in u.distributions}
    dis = disagreement(truth)
    waiting = np.array([flow_utility(truth, dis.state, p) for p in range(n)])
    audience = np.zeros(n)  # audience costs of failed summits and the costs of working rounds held
    sigma = u.misperception
    end = shock_period(d.chance, u.shock_hazard, u.horizon)
    wl_cost = u.working_level_cost or (0.0,) * n
    w_refused = [0] * n
    s_refused = [0] * n
    held = 0
    t = 0
    summits = 0
    next_summit = 0
    signed: tuple[int, list[int]] | None = None

    def base_of(p: int, fix: tuple[int, int] | None = None) -> dict[str, float] | None:
        if not typed:
            return None
        return believed(typing, p, chosen, belief[p], d.truth, scenario.parameters, fix)  # type: ignore[arg-type]

    offers = proposer_roles(scenario)

    while t < end:
        for _ in range(working_rounds):
            if t >= end:
                break
            who = refusers(d.chance, u.working_level_refusal, t)
            if who:  # the round costs its period and teaches nothing
                for p in who:
                    w_refused[p] += 1
            else:
                sigma *= u.working_level_gain
                held += 1
                for p in range(n):
                    audience[p] += truth.delta[p] ** t * wl_cost[p]
            t += 1
        t = max(t, next_summit)
        if t >= end:
            break
        summits += 1
        proposal: Plan | None = None  # the mediator's, under protocol "nash"
        if offers is not None:  # protocol "offers": the proposer offers, the responder answers
            p_, r_ = offers
            revealed = (p_, chosen[p_]) if typed and typing.types[p_] else None  # type: ignore[union-attr]
            if revealed is not None:  # the offer reveals the proposer's type
                belief[r_][p_] = [1.0 if k == chosen[p_] else 0.0 for k in range(len(belief[r_][p_]))]
            meetings = meetings_left(t, u.horizon, u.summit_cooldown + 1)
            key = (sigma, tuple(belief[p_][r_]) if typed else (), meetings)
            answer = summits_held.get(key) if summits_held is not None else None
            if answer is None:  # a summit depends on the history only through the key: each side
                # reads the other's type-dependent numbers as one type's, not through its belief
                r_types = typing.types[r_] if typed else ()  # type: ignore[union-attr]
                readings = [perception(scenario, d, p_, sigma, owners, supports, base_of(p_, (r_, k) if r_types else None))
                            for k in range(max(1, len(r_types)))]
                own = perception(scenario, d, r_, sigma, owners, supports, base_of(r_, revealed))
                prior = belief[p_][r_] if r_types else [1.0]
                answer = _offers_summit(scenario, world, readings, own, prior, offers, meetings, max_transitions)
                if summits_held is not None:
                    summits_held[key] = answer
            if answer.accepted and answer.offer is not None:
                signed = (t + 1, list(answer.offer))
                break
            if answer.offer is not None:
                s_refused[r_] += 1
                if typed and typing.types[r_]:  # type: ignore[union-attr]
                    lik = [1.0 - TREMBLE if k in answer.expected_refusers else TREMBLE for k in range(len(belief[p_][r_]))]
                    post = [b * x for b, x in zip(belief[p_][r_], lik, strict=True)]
                    belief[p_][r_] = [x / sum(post) for x in post]
        else:
            readings = [perception(scenario, d, p, sigma, owners, supports, base_of(p)) for p in range(n)]
            mean = {k: sum(r[k] for r in readings) / n for k in readings[0]}
            proposal = _propose(scenario, world, mean, max_transitions)
        if proposal is not None:
            refuse = [
                not signs(_read(scenario, world, readings[p], scenario.parties[p].name), p, proposal.stages)
                for p in range(n)
            ]
            if not any(refuse):
                signed = (t + 1, proposal.stages)
                break
            for p in range(n):
                s_refused[p] += int(refuse[p])
            if typed:  # each side updates its belief on the others' answers
                for p in range(n):
                    for q in range(n):
                        if q != p and typing.types[q]:  # type: ignore[union-attr]
                            lik = []
                            for k in range(len(typing.types[q])):  # type: ignore[union-attr]
                                r = perception(scenario, d, p, sigma, owners, supports, base_of(p, (q, k)))
                                would = signs(_read(scenario, world, r, scenario.parties[p].name), q, proposal.stages)
                                lik.append(1.0 - TREMBLE if would != refuse[q] else TREMBLE)
                            post = [b * x for b, x in zip(belief[p][q], lik, strict=True)]
                            total = sum(post)
                            belief[p][q] = [x / total for x in post]
        for p in range(n):  # a failed summit: each leader's audience cost
            audience[p] += truth.delta[p] ** t * truth.unreciprocated[p]
        sigma *= u.summit_gain
        t += 1
        next_summit = t + u.summit_cooldown
    learnt = tuple(a - b for a, b in zip(_on_truth(belief, chosen), start_belief, strict=True)) if typed else ()
    if signed is None:
        why = _no_deal(world, truth_params, max_transitions, end < u.horizon, any(w_refused), summits)
        return Outcome(None, summits, False, None, None, dis.values - audience, why, tuple(w_refused), tuple(s_refused),
                       held, chosen, learnt)
    start, stages = signed
    pl = play_v2(truth, stages)
    defector = pl.quitters[0] if pl.quitters else None
    before = np.array(
        [waiting[p] * (1.0 - truth.delta[p] ** start) / (1.0 - truth.delta[p]) for p in range(n)]
    )
    after = np.array([truth.delta[p] ** start for p in range(n)]) * pl.values
    return Outcome(start, summits, pl.complied, defector, pl.ends_at, before + after - audience, None,
                   tuple(w_refused), tuple(s_refused), held, chosen, learnt)


def proposer_roles(scenario: Scenario) -> tuple[int, int] | None:
    """(proposer, responder) when summits are meetings of the offers protocol, else None (the
    mediator proposes): two parties and protocol "offers" with a proposer named."""
    b = scenario.bargaining
    if b.protocol != "offers" or len(scenario.parties) != 2 or b.proposer is None:
        return None
    ids = [q.id for q in scenario.parties]
    return ids.index(b.proposer), 1 - ids.index(b.proposer)


def _offers_summit(
    scenario: Scenario,
    world: World,
    readings: list[dict[str, float]],
    own_reading: dict[str, float],
    prior: list[float],
    roles: tuple[int, int],
    meetings: int,
    max_transitions: int,
) -> Answer:
    """A summit under "offers" (docs/model.md, "Summit versus working level"): the proposer,
    reading the world of each responder type as ``readings`` (one reading if the responder has
    no types) and believing ``prior`` about them, offers; the responder's true type answers by
    its own reading (the offer reveals the proposer's type to it)."""
    u = scenario.uncertainty
    assert u is not None
    p, r = roles
    names = [scenario.parties[q].name for q in range(len(scenario.parties))]
    worlds = [_read(scenario, world, x, names[p]) for x in readings]
    own = _read(scenario, world, own_reading, names[r])
    found: set[tuple[int, ...]] = set(_proposal_masks(scenario, worlds[0]))
    for x in readings:
        plan = world.best(x, max_transitions)
        if plan is not None and plan.stages:
            found.add(tuple(plan.stages))
    if not found:
        return Answer(None, False, ())
    candidates = sorted(found, key=lambda st: stage_key(worlds[0], list(st)))
    survival = 1.0 - u.shock_hazard
    game = offer_game(worlds, candidates, prior, meetings, u.summit_cooldown + 1, survival, p, r)
    return summit(game, candidates, own, r, survival)


def _proposal_masks(scenario: Scenario, g: Game) -> list[tuple[int, ...]]:
    """The proposals on the table as stage masks (the same in every world of the scenario)."""
    from detente.analysis.audit import schedule_masks

    return [
        tuple(schedule_masks(g, [list(st) for st in prop.stages], f"proposals[{prop.id}]", scenario.origin))
        for prop in scenario.proposals
    ]


def _on_truth(belief: list[list[list[float]]], chosen: tuple[int, ...]) -> tuple[float, ...]:
    """By party p: its mean belief in the true types of the others that have types (nan: none)."""
    out = []
    for p in range(len(belief)):
        xs = [belief[p][q][t] for q, t in enumerate(chosen) if q != p and t >= 0]
        out.append(sum(xs) / len(xs) if xs else math.nan)
    return tuple(out)


def _no_deal(world: World, truth: dict[str, float], max_transitions: int, shocked: bool, refused_rounds: bool, summits: int) -> str:
    """Why nothing was signed, the first that applies: the true world has no self-enforcing deal
    (nothing to find), a shock ended the talks, a refused working-level round left a misreading
    uncorrected, proposals were refused, or the clock ran out before a summit."""
    if world.best(truth, max_transitions) is None:
        return "no-true-deal"
    if shocked:
        return "shock"
    if refused_rounds:
        return "refused-working"
    return "refused-offers" if summits else "out-of-time"


__all__ = ["NO_DEAL_REASONS", "Draw", "Outcome", "Typing", "World", "draw_history", "history_seed", "play", "signs", "simulate"]
