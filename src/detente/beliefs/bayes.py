"""Bayesian updating of beliefs about each party's type over the event timeline
(docs/model.md, "Beliefs").

π_t(θ) ∝ π_0(θ) Π_c P(c | θ) over the observations c seen by time t, for the events whose actor
is the party. An event is its own observation unless it belongs to a cluster of related
events, which counts once: with the cluster's own likelihoods ([[clusters]]), applied at its
first event, or else with the likelihoods of its most informative event so far (the largest
ratio between two types' likelihoods), so that later, weaker members add nothing. Pure
functions over plain mappings; the results say how informative each event was.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from detente.errors import ScenarioError
from detente.results import BeliefsResult, BeliefStep, PartyBeliefs
from detente.scenario.model import Cluster, Event, Scenario

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
    """log P(e | first) − log P(e | second); None when one of them is zero or infinite (a
    decisive event)."""
    a, b = likelihood[first], likelihood[second]
    if a == 0.0 or b == 0.0 or math.isinf(a) or math.isinf(b):
        return None
    return math.log(a) - math.log(b)


def informativeness(likelihood: Mapping[str, float]) -> float:
    """log(max/min) of the likelihoods across types: how far the event can move beliefs."""
    values = list(likelihood.values())
    low, high = min(values), max(values)
    if high == 0.0:
        return 0.0
    return math.inf if low == 0.0 else math.log(high) - math.log(low)


def trajectory(
    prior: Mapping[str, float],
    events: Sequence[Event],
    origin: str = "<scenario>",
    clusters: Sequence[Cluster] = (),
) -> list[BeliefStep]:
    """The posterior after each event in date order, with each event's information."""
    types = list(prior)
    declared = {c.id: c for c in clusters}
    counted: dict[str, dict[str, float]] = {}  # observation key -> likelihoods counted so far
    current = dict(prior)
    steps = []
    for i, e in enumerate(sorted(events, key=lambda ev: ev.date)):
        key = f"cluster:{e.cluster}" if e.cluster is not None else f"event:{i}"
        before = counted.get(key)
        if e.cluster in declared:
            now = before if before is not None else dict(declared[e.cluster].likelihood)
        elif before is None or informativeness(e.likelihood) > informativeness(before):
            now = dict(e.likelihood)
        else:
            now = before
        counted[key] = now
        try:
            after = _posterior(prior, counted.values())
        except ValueError as exc:
            raise ScenarioError(origin, f"events[{e.id}].likelihood", str(exc)) from None
        effective = {t: _ratio(now[t], None if before is None else before[t]) for t in types}
        llr = log_likelihood_ratio(effective, types[0], types[1]) if len(types) >= 2 else None
        steps.append(
            BeliefStep(
                event=e.id,
                date=e.date.isoformat(),
                label=e.label,
                source=e.source,
                likelihood=dict(e.likelihood),
                cluster=e.cluster,
                counted=now is not before,
                log_likelihood_ratio=llr,
                posterior=after,
                moved=total_variation(current, after),
            )
        )
        current = after
    return steps


def _ratio(now: float, before: float | None) -> float:
    """The factor an observation's likelihood changed by (1 when it did not change)."""
    if before is None:
        return now
    if before == 0.0:
        return 1.0 if now == 0.0 else math.inf
    return now / before


def _posterior(prior: Mapping[str, float], observations: object) -> dict[str, float]:
    joint = dict(prior)
    for lik in observations:  # type: ignore[attr-defined]
        joint = {t: joint[t] * lik[t] for t in joint}
    total = sum(joint.values())
    if total <= 0.0:
        raise ValueError("the event has probability zero under every type still possible")
    return {t: v / total for t, v in joint.items()}


def beliefs(scenario: Scenario) -> BeliefsResult:
    """Every party with types: prior, trajectory over its events, final posterior."""
    parties = []
    for party in scenario.parties:
        types = scenario.types_of(party.id)
        if not types:
            continue
        prior = {t.id: t.prior for t in types}
        events = [e for e in scenario.events if e.actor == party.id]
        clusters = [c for c in scenario.clusters if c.actor == party.id]
        steps = trajectory(prior, events, scenario.origin, clusters)
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
