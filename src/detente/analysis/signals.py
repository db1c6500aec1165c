"""Which signals are the right ones: costly signalling after Fearon 1997 (MODEL.md section 10).

The benefit of being believed, for type θ of the sender, is θ's value of the deal struck when
the receiver believes the sender is the good type, less θ's value of the deal struck under the
current beliefs; both deals are the type-robust solve of section 9 with the same threshold,
and θ's values are its may-quit values (a wrong type may walk out of a deal). No deal is worth
a type its no-deal value.

- A sunk-cost signal separates iff cost[good] ≤ B_good and cost[θ] > B_θ for every other θ.
- A tied-hands signal costs only a type that later backs down: it separates iff the good type
  would not back down from the deal it signalled for and gains from being believed
  (B_good ≥ 0: MODEL.md leaves this out, docs/model.md says why it is needed), every other type
  would back down (so it would pay), and cost[θ] > B_θ for every other θ.

Margins are signed so that a positive margin means the condition holds: B_good − cost[good]
for the good type of a sunk signal (and of a tied-hands one that would back down), B_good for
a tied-hands good type that would not, and cost[θ] − B_θ for the others.
"""

from __future__ import annotations

from detente.analysis import explain
from detente.analysis.types import DEFAULT_TAU, BeliefsAt, beliefs_at, solve_with_beliefs
from detente.model.agents import agents
from detente.model.bargaining import disagreement
from detente.results import RobustSolveResult, SignalsResult, SignalVerdict
from detente.scenario.model import Scenario, Signal

TOL = 1e-9


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
    """Section 10's conditions: whether the signal separates, and each type's margin."""
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
        reasons.append(
            f"as {good} it would pay {sig.cost[good]:.2f} to {_gain(benefit[good])} from being believed"
        )
    if sig.kind == "tied-hands" and backs_down.get(good, False):
        reasons.append(f"as {good} it would itself back down from the deal it signals for")
    elif sig.kind == "tied-hands" and margins[good] < -TOL:
        reasons.append(f"as {good} it would {_gain(benefit[good])} from being believed, so it would not send it")
    for t in benefit:
        if t == good:
            continue
        if margins[t] <= TOL:
            reasons.append(
                f"as {t} it would pay {sig.cost[t]:.2f} to {_gain(benefit[t])} by passing for {good}"
            )
        elif sig.kind == "tied-hands" and not backs_down[t]:
            reasons.append(f"as {t} it would not back down, so its hands are tied at no cost")
    return head + "does not separate: " + "; ".join(reasons) + "."


def signals(scenario: Scenario, tau: float = DEFAULT_TAU, at: BeliefsAt = "prior") -> SignalsResult:
    """Every ``[[signals]]`` entry of the scenario, judged under the beliefs ``at``."""
    now_beliefs = beliefs_at(scenario, at)
    now = solve_with_beliefs(scenario, tau, now_beliefs, at)
    w = explain.Words(scenario)
    believed: dict[tuple[str, str], RobustSolveResult] = {}
    verdicts = []
    for sig in scenario.signals:
        key = (sig.sender, sig.good_type)
        if key not in believed:
            b = {p: dict(types) for p, types in now_beliefs.items()}
            b[sig.sender] = {t: 1.0 if t == sig.good_type else 0.0 for t in b.get(sig.sender, {})}
            believed[key] = solve_with_beliefs(scenario, tau, b, f"{sig.sender} believed {sig.good_type}")
        good = believed[key]
        v_good, quits = _type_values(scenario, good, sig.sender)
        v_now, _ = _type_values(scenario, now, sig.sender)
        benefit = {t: v_good[t] - v_now[t] for t in v_good}
        cost = {t: float(sig.cost[t]) for t in benefit}  # in the types' order, as benefit
        ok, margins = separation(sig.kind, sig.good_type, benefit, cost, quits)
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
                deal_if_believed=good.schedule,
                deal_now=now.schedule,
                sentence=_sentence(w, sig, ok, benefit, margins, quits),
            )
        )
    return SignalsResult(
        scenario=scenario.id, tau=tau, beliefs_at=at, beliefs=now_beliefs, signals=verdicts
    )
