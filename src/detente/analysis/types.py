"""Deals against the wrong type: screening audits and the type-robust solve (docs/model.md, "Types and beliefs").

Beliefs are the types' priors, or the posteriors after the scenario's whole event timeline
(``beliefs_at="posterior"``). A party without types is one agent of probability 1.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from detente.analysis import explain
from detente.analysis.audit import deviation_info, play_info, schedule_masks
from detente.beliefs.bayes import beliefs as belief_trajectories
from detente.defaults import DEFAULT_TAU
from detente.errors import ScenarioError, SolverLimitError
from detente.model.agents import Agent, Beliefs, agents, prior_beliefs
from detente.model.bargaining import disagreement
from detente.model.game import Game, compile_game
from detente.model.play import play
from detente.model.quitting import first_quit, may_quit
from detente.model.worlds import profile_worlds
from detente.results import (
    BeliefDeal,
    ProfilePlay,
    RobustSolveResult,
    RobustStats,
    ScreeningResult,
    TypeBehaviour,
    TypeChoice,
)
from detente.scenario.model import Scenario
from detente.solvers.robust import expected, solve_robust

BeliefsAt = Literal["prior", "posterior"]


def check_tau(scenario: Scenario, tau: float) -> None:
    if not 0.0 <= tau <= 1.0:
        raise ScenarioError(scenario.origin, "tau", f"must lie in [0, 1], got {tau:g}")


def check_types(scenario: Scenario) -> None:
    """Build every type's world and the belief trajectories, so that a scenario whose types
    or events fail does so when it is loaded, with the type's or the event's key."""
    if scenario.types:
        agents(scenario)
        belief_trajectories(scenario)


def beliefs_at(scenario: Scenario, at: BeliefsAt) -> dict[str, dict[str, float]]:
    """The types' priors, or their posteriors after the whole event timeline."""
    if at not in ("prior", "posterior"):
        raise ScenarioError(scenario.origin, "beliefs_at", f"must be 'prior' or 'posterior', not {at!r}")
    if at == "prior":
        return prior_beliefs(scenario)
    return {pb.party: dict(pb.final) for pb in belief_trajectories(scenario).parties}


def _agents(scenario: Scenario, at: BeliefsAt) -> tuple[dict[str, dict[str, float]], list[Agent]]:
    """The beliefs named ``at`` and the agents under them."""
    b = beliefs_at(scenario, at)
    return b, agents(scenario, b)


def _behaviour(
    scenario: Scenario, agent: Agent, must: bool, stages: list[int], words: explain.Words
) -> TypeBehaviour:
    g, p = agent.game, agent.party_index
    choices = may_quit(g, p, stages)
    quit_at = first_quit(choices)
    d = float(disagreement(g).values[p])
    rows = [
        TypeChoice(
            stage=c.stage,
            comply=c.comply,
            deviate=c.deviate,
            value=c.value,
            quits=c.quits,
            deviation=deviation_info(g, c.deviation),
            cheat=g.ids(c.covert),
        )
        for c in choices
    ]
    who = words.party(agent.party)
    if agent.type is not None:
        who = f"{who} as {agent.type} (probability {agent.probability:.2f})"
    value = choices[0].value
    if quit_at is None:
        sentence = f"{who} goes through with it to the end: worth {value:.2f} against {d:.2f} with no deal."
    else:
        c = choices[quit_at - 1]
        assert c.deviate is not None
        if quit_at == len(choices):
            how = (
                f"secretly stopping ({words.moves(g.ids(c.covert))})"
                if c.covert
                else (words.deviation(rows[-1].deviation) if rows[-1].deviation else "deviating")
            )
            sentence = (
                f"{who} would keep to the schedule, then break the final agreement by {how}: "
                f"worth {c.deviate:.2f} against {c.comply:.2f} for keeping it."
            )
        else:
            info = rows[quit_at - 1].deviation
            how = words.deviation(info) if info is not None else "deviating"
            sentence = (
                f"{who} would walk out at stage {quit_at} by {how}: worth {c.deviate:.2f} against "
                f"{c.comply:.2f} for complying."
            )
    return TypeBehaviour(
        party=agent.party,
        type=agent.type,
        probability=agent.probability,
        enforced=must,
        value=value,
        disagreement=d,
        quits_at=quit_at,
        choices=rows,
        sentence=sentence,
    )


def _screening(
    scenario: Scenario,
    base: Game,
    agent_list: list[Agent],
    must: list[bool],
    stages: list[int],
    at: str,
    b: dict[str, dict[str, float]],
    tau: float | None,
) -> ScreeningResult:
    words = explain.Words(scenario)
    rows = [_behaviour(scenario, a, m, stages, words) for a, m in zip(agent_list, must, strict=True)]
    w = np.array([r.value for r in rows])
    dv = np.array([r.disagreement for r in rows])
    e = expected(agent_list, w, base.n_parties)
    ed = expected(agent_list, dv, base.n_parties)
    pid = base.party_ids
    return ScreeningResult(
        scenario=scenario.id,
        schedule=[base.ids(s) for s in stages],
        beliefs_at=at,
        beliefs=b,
        tau=tau,
        types=rows,
        expected_values={pid[p]: float(e[p]) for p in range(base.n_parties)},
        expected_disagreement={pid[p]: float(ed[p]) for p in range(base.n_parties)},
    )


def screen(
    scenario: Scenario,
    stages: list[list[str]],
    at: BeliefsAt = "prior",
    where: str = "stages",
) -> ScreeningResult:
    """What every type of every party does inside ``stages``, and each party's expected value."""
    base = compile_game(scenario)
    masks = schedule_masks(base, stages, where, scenario.origin)
    b, agent_list = _agents(scenario, at)
    result = _screening(scenario, base, agent_list, [False] * len(agent_list), masks, at, b, None)
    result.profiles = profile_plays(scenario, masks, b)
    return result


def profile_plays(scenario: Scenario, masks: list[int], b: Beliefs) -> list[ProfilePlay]:
    """The play of a schedule in the world of every profile of types (docs/model.md, "The play
    of a schedule"): who quits, when, and what everyone gets if those are the types."""
    words = explain.Words(scenario)
    interdependent = scenario.bargaining.protocol == "offers"
    return [
        ProfilePlay(types=w.types, probability=w.probability, play=play_info(w.game, play(w.game, masks), words))
        for w in profile_worlds(scenario, b, interdependent)
    ]


def solve_against_types(scenario: Scenario, tau: float, at: BeliefsAt = "prior") -> RobustSolveResult:
    """The best deal every type at least ``tau`` likely goes through with ('Types and beliefs' (docs/model.md))."""
    return solve_with_beliefs(scenario, tau, beliefs_at(scenario, at), at)


def solve_with_beliefs(
    scenario: Scenario, tau: float, b: dict[str, dict[str, float]], at: str
) -> RobustSolveResult:
    """As :func:`solve_against_types`, under the beliefs ``b`` (named ``at`` in the result)."""
    check_tau(scenario, tau)
    base = compile_game(scenario)
    agent_list = agents(scenario, b)
    try:
        r = solve_robust(base, agent_list, tau, scenario.solver.max_transitions)
    except SolverLimitError as exc:
        raise SolverLimitError(f"{scenario.origin}: solver: {exc}") from None
    pid = base.party_ids
    ed = {pid[p]: float(r.expected_disagreement[p]) for p in range(base.n_parties)}
    words = explain.Words(scenario)
    stats = RobustStats(
        agents=len(agent_list), transitions=r.transitions, frontier_entries=r.entries, seconds=r.seconds
    )
    safe = _safe_against(words, agent_list, r.enforced, tau)
    if r.best is None:
        return RobustSolveResult(
            scenario=scenario.id,
            tau=tau,
            beliefs_at=at,
            beliefs=b,
            deal=False,
            schedule=[],
            expected_values=None,
            expected_disagreement=ed,
            gains=None,
            screening=None,
            explanation=f"No deal that {safe} would go through with leaves every side better off.",
            solver=stats,
        )
    screening = _screening(scenario, base, agent_list, r.enforced, r.best.stages, at, b, tau)
    ev = {pid[p]: float(r.best.expected[p]) for p in range(base.n_parties)}
    gains = {p: ev[p] - ed[p] for p in ev}
    quitters = [t.sentence for t in screening.types if t.quits_at is not None]
    text = (
        f"A deal that {safe} would go through with takes {len(r.best.stages)} "
        f"stage{'s' if len(r.best.stages) != 1 else ''}; in expectation "
        + " and ".join(f"{words.party(p)} gains {g:.2f}" for p, g in gains.items())
        + "."
    )
    if quitters:
        text += " Less likely types may walk out: " + " ".join(quitters)
    return RobustSolveResult(
        scenario=scenario.id,
        tau=tau,
        beliefs_at=at,
        beliefs=b,
        deal=True,
        schedule=screening.schedule,
        expected_values=ev,
        expected_disagreement=ed,
        gains=gains,
        screening=screening,
        explanation=text,
        solver=stats,
    )


def _safe_against(words: explain.Words, agent_list: list[Agent], must: list[bool], tau: float) -> str:
    typed = [a for a in agent_list if a.type is not None]
    if not typed:
        return "every party"
    names = [f"{words.party(a.party)} as {a.type}" for a, m in zip(agent_list, must, strict=True) if m and a.type]
    if not names:
        return f"every party, whatever its type (no type is at least {tau:.2f} likely)"
    return "every type at least {:.2f} likely ({})".format(tau, ", ".join(names))


def robust_views(scenario: Scenario, tau: float = DEFAULT_TAU) -> list[BeliefDeal]:
    """``detente run`` with types: the robust deal at the prior and after the timeline."""
    check_tau(scenario, tau)
    if not scenario.types:
        return []
    out = []
    for at in ("prior", "posterior") if scenario.events else ("prior",):
        r = solve_against_types(scenario, tau, at)
        out.append(BeliefDeal(beliefs_at=at, beliefs=r.beliefs, result=r))
    return out


__all__ = ["Beliefs", "beliefs_at", "robust_views", "screen", "solve_against_types"]
