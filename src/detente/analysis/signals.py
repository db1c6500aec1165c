"""Which signals are the right ones: costly signalling after Fearon 1997 (docs/model.md,
"Signals").

The benefit of being believed, for type θ of the sender, is θ's value when the receiver
believes the sender is the good type less θ's value when the receiver believes it is not (its
belief restricted to the other types): what separation is worth.

- Under protocol "nash" each value is θ's may-quit value of the type-robust deal struck under
  that belief (with the same threshold τ); no deal is worth a type its no-deal value.
- Under protocol "offers", with the sender the responder, it is W_θ(1, {good}) − W_θ(1, others)
  of the offers recursion: the proposer offers what its belief makes best, so being believed
  firm changes what one is offered; a mimic meets those offers and best-responds. Values are
  expected over the proposer's types. The proposer's type is known, so a signal of the
  scenario's proposer is valued with the other party proposing; tied hands are not assessed
  (the protocol has no "backing down").

- A sunk-cost signal separates iff cost[good] ≤ B_good and cost[θ] > B_θ for every other θ.
- A tied-hands signal costs only a type that later backs down: it separates iff the good type
  would not back down and gains from being believed (B_good ≥ 0), every other type would back
  down (so it would pay), and cost[θ] > B_θ for every other θ.

Where a signal does not separate, the outcome where nobody sends it is checked against the
Intuitive Criterion: would some type gain from sending it if the receiver, seeing it, put
weight only on the types that could gain from it (the prior restricted to them)?

Margins are signed so that a positive margin means the condition holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from detente.analysis import explain
from detente.analysis.offers import OfferSetup, Shared, setups
from detente.analysis.types import BeliefsAt, beliefs_at, check_tau, solve_with_beliefs
from detente.defaults import DEFAULT_TAU
from detente.model.agents import agents
from detente.model.bargaining import disagreement
from detente.model.game import Game
from detente.model.offers import intuitive_criterion, root_values
from detente.results import PoolingCheck, RobustSolveResult, SignalsResult, SignalVerdict
from detente.scenario.model import Scenario, Signal

TOL = 1e-9

Values = Callable[[frozenset[str]], dict[str, float]]


def _type_values(scenario: Scenario, result: RobustSolveResult, sender: str) -> tuple[dict[str, float], dict[str, bool]]:
    """Each sender type's value of the deal in ``result`` (its no-deal value if none), and
    whether it would quit that deal."""
    if result.screening is not None:
        rows = [t for t in result.screening.types if t.party == sender]
        return {str(t.type): t.value for t in rows}, {str(t.type): t.quits_at is not None for t in rows}
    values: dict[str, float] = {}
    for a in agents(scenario, result.beliefs):
        if a.party == sender and a.type is not None:
            values[a.type] = float(disagreement(a.game).values[a.party_index])
    return values, dict.fromkeys(values, False)


def separation(
    kind: str, good: str, benefit: dict[str, float], cost: dict[str, float], backs_down: dict[str, bool]
) -> tuple[bool, dict[str, float]]:
    """The separation conditions: whether the signal separates, and each type's margin."""
    margins: dict[str, float] = {}
    ok = True
    for t, b in benefit.items():
        if t == good:
            if kind == "sunk":
                margins[t] = b - cost[t]
                ok = ok and margins[t] >= -TOL
            elif backs_down[t]:  # it would pay too, and the signal says nothing
                margins[t] = b - cost[t]
                ok = False
            else:  # it pays nothing, but must still want to be believed
                margins[t] = b
                ok = ok and b >= -TOL
        else:
            margins[t] = cost[t] - b
            ok = ok and margins[t] > TOL
            if kind == "tied-hands":
                ok = ok and backs_down[t]
    return ok, margins


def _gain(b: float) -> str:
    return f"gain {b:.2f}" if b >= 0 else f"lose {-b:.2f}"


def _sentence(
    w: explain.Words, sig: Signal, ok: bool, benefit: dict[str, float], margins: dict[str, float], backs_down: dict[str, bool]
) -> str:
    who = w.party(sig.sender)
    name = sig.label or sig.id
    good = sig.good_type
    head = f"{name} ({who}, {'sunk cost' if sig.kind == 'sunk' else 'tied hands'}) "
    if ok:
        others = "; ".join(
            f"as {t} it would {_gain(benefit[t])} by passing for {good} but pay {sig.cost[t]:.2f}"
            for t in benefit
            if t != good
        )
        return head + f"separates: as {good} the sender would {_gain(benefit[good])} from being believed; {others}."
    reasons = []
    if sig.kind == "sunk" and margins[good] < -TOL:
        reasons.append(f"as {good} it would pay {sig.cost[good]:.2f} to {_gain(benefit[good])} from being believed")
    if sig.kind == "tied-hands" and backs_down.get(good, False):
        reasons.append(f"as {good} it would itself back down from the deal it signals for")
    elif sig.kind == "tied-hands" and margins[good] < -TOL:
        reasons.append(f"as {good} it would {_gain(benefit[good])} from being believed, so it would not send it")
    for t in benefit:
        if t == good:
            continue
        if margins[t] <= TOL:
            reasons.append(f"as {t} it would pay {sig.cost[t]:.2f} to {_gain(benefit[t])} by passing for {good}")
        elif sig.kind == "tied-hands" and not backs_down[t]:
            reasons.append(f"as {t} it would not back down, so its hands are tied at no cost")
    return head + "does not separate: " + "; ".join(reasons) + "."


def _pooling(types: list[str], values: Values, cost: dict[str, float], sig: Signal, w: explain.Words) -> PoolingCheck:
    verdict = intuitive_criterion(types, values, cost)
    if verdict.survives:
        if verdict.undominated:
            why = (
                f"sending it would pay only if {w.party(sig.sender)} were then believed to be "
                f"{' or '.join(verdict.undominated)}, and even then no type gains"
            )
        else:
            why = "no type of the sender could gain from sending it, whatever the receiver then believed"
        sentence = f"Not sending it survives the Intuitive Criterion: {why}."
    else:
        b = verdict.breaker
        sentence = (
            f"Not sending it fails the Intuitive Criterion: only {' or '.join(verdict.undominated)} "
            f"could gain from sending it, and believed so, as {b} {w.party(sig.sender)} would gain "
            f"{verdict.margins[str(b)]:.2f} by sending it."
        )
    return PoolingCheck(
        survives=verdict.survives,
        gains=dict(verdict.gains),
        could_gain=list(verdict.undominated),
        margins=dict(verdict.margins),
        breaker=verdict.breaker,
        sentence=sentence,
    )


def signals(
    scenario: Scenario,
    tau: float = DEFAULT_TAU,
    at: BeliefsAt = "prior",
    solved: list[OfferSetup] | None = None,
    shared: Shared | None = None,
) -> SignalsResult:
    """Every ``[[signals]]`` entry of the scenario, judged under the beliefs ``at``
    (``solved``: the offers setups already built under those beliefs; ``shared``: the offers
    work already done for this scenario)."""
    check_tau(scenario, tau)
    if scenario.bargaining.protocol == "offers":
        verdicts = _offers_signals(scenario, at, solved, shared)
    else:
        verdicts = _nash_signals(scenario, tau, at)
    return SignalsResult(
        scenario=scenario.id,
        protocol=scenario.bargaining.protocol,
        tau=tau,
        beliefs_at=at,
        beliefs=beliefs_at(scenario, at),
        signals=verdicts,
    )


def _restricted(beliefs: Mapping[str, float], keep: frozenset[str]) -> dict[str, float]:
    """The belief restricted to ``keep`` (equal weights there if it gives them none)."""
    total = sum(p for t, p in beliefs.items() if t in keep)
    if total <= 0:
        return {t: (1.0 / len(keep) if t in keep else 0.0) for t in beliefs}
    return {t: (p / total if t in keep else 0.0) for t, p in beliefs.items()}


def _nash_signals(scenario: Scenario, tau: float, at: BeliefsAt) -> list[SignalVerdict]:
    now_beliefs = beliefs_at(scenario, at)
    w = explain.Words(scenario)
    solved: dict[tuple[str, frozenset[str]], RobustSolveResult] = {}

    def solve(sender: str, keep: frozenset[str]) -> RobustSolveResult:
        key = (sender, keep)
        if key not in solved:
            b = {p: dict(types) for p, types in now_beliefs.items()}
            b[sender] = _restricted(now_beliefs[sender], keep)
            name = f"{sender} believed {' or '.join(sorted(keep))}"
            solved[key] = solve_with_beliefs(scenario, tau, b, name)
        return solved[key]

    verdicts = []
    for sig in scenario.signals:
        types = [t.id for t in scenario.types_of(sig.sender)]
        good = frozenset({sig.good_type})
        others = frozenset(types) - good
        v_good, quits = _type_values(scenario, solve(sig.sender, good), sig.sender)
        v_not, _ = _type_values(scenario, solve(sig.sender, others), sig.sender)
        benefit = {t: v_good[t] - v_not[t] for t in types}
        cost = {t: float(sig.cost[t]) for t in types}
        ok, margins = separation(sig.kind, sig.good_type, benefit, cost, quits)

        def values(keep: frozenset[str], sender: str = sig.sender) -> dict[str, float]:
            return _type_values(scenario, solve(sender, keep), sender)[0]

        verdicts.append(
            SignalVerdict(
                signal=sig.id,
                label=sig.label,
                sender=sig.sender,
                kind=sig.kind,
                good_type=sig.good_type,
                benefit=benefit,
                cost=cost,
                backs_down=quits,
                margins=margins,
                separates=ok,
                deal_if_believed=solve(sig.sender, good).schedule,
                deal_now=solve(sig.sender, others).schedule,
                pooling=None if ok else _pooling(types, values, cost, sig, w),
                sentence=_sentence(w, sig, ok, benefit, margins, quits),
            )
        )
    return verdicts


def _offers_signals(
    scenario: Scenario, at: BeliefsAt, solved: list[OfferSetup] | None = None, shared: Shared | None = None
) -> list[SignalVerdict]:
    """Signals valued through offers. A signal's sender must be the responder (the proposer's
    type is known to both sides): a signal of the scenario's proposer is valued in the game
    where the other party proposes, as the protocol is run once with each party as proposer."""
    w = explain.Words(scenario)
    proposer = scenario.bargaining.proposer
    cache: dict[str, list[OfferSetup]] = {}
    if solved is not None and proposer is not None:
        cache[proposer] = solved
    verdicts = []
    for sig in scenario.signals:
        types = [t.id for t in scenario.types_of(sig.sender)]
        cost = {t: float(sig.cost[t]) for t in types}
        if sig.kind == "tied-hands":
            verdicts.append(
                SignalVerdict(
                    signal=sig.id, label=sig.label, sender=sig.sender, kind=sig.kind, good_type=sig.good_type,
                    assessed=False, benefit={}, cost=cost, backs_down={}, margins={}, separates=False,
                    deal_if_believed=[], deal_now=[],
                    sentence=f"{sig.label or sig.id}: tied hands are not assessed under the offers protocol, which has no backing down from a deal.",
                )
            )
            continue
        other = next(p.id for p in scenario.parties if p.id != sig.sender)
        if other not in cache:
            cache[other] = setups(scenario, at, proposer=other, shared=shared)
        games = cache[other]
        total = sum(s.probability for s in games) or 1.0

        def values(
            keep: frozenset[str], games: list[OfferSetup] = games, types: list[str] = types, total: float = total
        ) -> dict[str, float]:
            out = dict.fromkeys(types, 0.0)
            for s in games:
                rv = root_values(s.solution, sorted(keep, key=s.game.types.index))
                for t in types:
                    out[t] += s.probability / total * rv.responder[t]
            return out

        good = frozenset({sig.good_type})
        others = frozenset(types) - good
        v_good, v_not = values(good), values(others)
        benefit = {t: v_good[t] - v_not[t] for t in types}
        ok, margins = separation("sunk", sig.good_type, benefit, cost, {})
        first = games[0]
        sentence = _sentence(w, sig, ok, benefit, margins, {})
        if sig.sender == proposer:
            sentence += f" (Valued with {w.party(other)} proposing: {w.party(sig.sender)}'s own offers reveal its type.)"
        verdicts.append(
            SignalVerdict(
                signal=sig.id,
                label=sig.label,
                sender=sig.sender,
                kind=sig.kind,
                good_type=sig.good_type,
                benefit=benefit,
                cost=cost,
                backs_down=dict.fromkeys(types, False),
                margins=margins,
                separates=ok,
                deal_if_believed=_first_offer(first.worlds[0], first, good),
                deal_now=_first_offer(first.worlds[0], first, others),
                pooling=None if ok else _pooling(types, values, cost, sig, w),
                sentence=sentence,
            )
        )
    return verdicts


def _first_offer(g: Game, setup: object, keep: frozenset[str]) -> list[list[str]]:
    """The proposer's first offer when it starts believing ``keep`` (its first type)."""
    sol = setup.solution  # type: ignore[attr-defined]
    node = sol.nodes[(1, sol.game.mask(sorted(keep, key=sol.game.types.index)))]
    if node.offer is None:
        return []
    return [g.ids(s) for s in setup.candidates[node.offer]]  # type: ignore[attr-defined]
