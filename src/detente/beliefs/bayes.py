"""Bayesian updating of beliefs about each party's type over the event timeline (MODEL.md §9).

π_t(θ) ∝ π_0(θ) Π_{i ≤ t} P(e_i | θ), for the events whose actor is the party. Pure functions
over plain mappings; the results say how informative each event was.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from detente.errors import ScenarioError
from detente.results import BeliefsResult, BeliefStep, PartyBeliefs
from detente.scenario.model import Event, Scenario

MOST_MOVING = 3


def update(prior: Mapping[str, float], likelihood: Mapping[str, float]) -> dict[str, float]:
    """One step of Bayes' rule; raises ValueError if the event is impossible under the prior."""
    joint = {t: prior[t] * likelihood[t] for t in prior}
    total = sum(joint.values())
    if total <= 0.0:
        raise ValueError("the event has probability zero under every type still possible")
    return {t: v / total for t, v in joint.items()}


def total_variation(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """How far beliefs moved: half the L1 distance, in [0, 1]."""
    return 0.5 * sum(abs(a[t] - b[t]) for t in a)


def log_likelihood_ratio(likelihood: Mapping[str, float], first: str, second: str) -> float | None:
    """log P(e | first) − log P(e | second); None when one of them is zero (decisive event)."""
    a, b = likelihood[first], likelihood[second]
    if a == 0.0 or b == 0.0:
        return None
    return math.log(a) - math.log(b)


def trajectory(
    prior: Mapping[str, float], events: Sequence[Event], origin: str = "<scenario>"
) -> list[BeliefStep]:
    """The posterior after each event in date order, with each event's information."""
    types = list(prior)
    current = dict(prior)
    steps = []
    for e in sorted(events, key=lambda ev: ev.date):
        try:
            after = update(current, e.likelihood)
        except ValueError as exc:
            raise ScenarioError(origin, f"events[{e.id}].likelihood", str(exc)) from None
        llr = log_likelihood_ratio(e.likelihood, types[0], types[1]) if len(types) >= 2 else None
        steps.append(
            BeliefStep(
                event=e.id,
                date=e.date.isoformat(),
                label=e.label,
                source=e.source,
                likelihood=dict(e.likelihood),
                log_likelihood_ratio=llr,
                posterior=after,
                moved=total_variation(current, after),
            )
        )
        current = after
    return steps


def beliefs(scenario: Scenario) -> BeliefsResult:
    """Every party with types: prior, trajectory over its events, final posterior."""
    parties = []
    for party in scenario.parties:
        types = scenario.types_of(party.id)
        if not types:
            continue
        prior = {t.id: t.prior for t in types}
        events = [e for e in scenario.events if e.actor == party.id]
        steps = trajectory(prior, events, scenario.origin)
        final = steps[-1].posterior if steps else dict(prior)
        ranked = sorted(steps, key=lambda s: s.moved, reverse=True)
        parties.append(
            PartyBeliefs(
                party=party.id,
                types=[t.id for t in types],
                ratio_of=[t.id for t in types[:2]] if len(types) >= 2 else [],
                prior=prior,
                steps=steps,
                final=final,
                moved_most=[s.event for s in ranked[:MOST_MOVING] if s.moved > 0.0],
            )
        )
    return BeliefsResult(scenario=scenario.id, parties=parties)
