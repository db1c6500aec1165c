"""Stability of the final agreement: overt and covert checks (docs/model.md, "The final
agreement").

Covert non-compliance is possible only with an ongoing obligation, a reversible move: an act
done once cannot be secretly undone. It takes effect at once (no lag, no reversal cost); once
caught, the cheated moves are out, the cheater undoes what pays and the others snap back, each
with its reversal lag counted from the detection period.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

from detente.model.deviation import (
    Deviation,
    lagged_value,
    overt_deviation,
    reversal_total,
    reverses,
    snapback,
)
from detente.model.game import TOLERANCE, Game, bits
from detente.model.payoffs import flow_utility, stop_value

MAX_EXHAUSTIVE_CHEATS = 12  # 'The final agreement' (docs/model.md): all subsets up to this many unverifiable moves


@dataclass(frozen=True)
class CovertCheck:
    """p pretends to keep ``cheat`` while not doing it; detected with probability ``q`` a period."""

    party: int
    cheat: int
    q: float
    value: float  # X_C
    comply: float

    @property
    def slack(self) -> float:
        return self.comply - self.value

    @property
    def holds(self) -> bool:
        return self.slack >= -TOLERANCE


@dataclass(frozen=True)
class OvertCheck:
    party: int
    comply: float
    deviation: Deviation | None

    @property
    def slack(self) -> float | None:
        return None if self.deviation is None else self.comply - self.deviation.value

    @property
    def holds(self) -> bool:
        return self.slack is None or self.slack >= -TOLERANCE


def verifiability_in(g: Game, m: int, s: int) -> float:
    """v_m(s): the move's verifiability, raised by any move in s that helps verify it."""
    v = float(g.verifiability[m])
    for e in bits(s):
        w = g.verifiability_with[m, e]
        if w > v:
            v = float(w)
    return v


def hideable(g: Game, s: int, p: int) -> list[int]:
    """p's reversible moves in s that are not perfectly verifiable: what it can secretly stop."""
    return [m for m in bits(s & g.owned(p)) if g.reversible[m] and verifiability_in(g, m, s) < 1.0]


def cheat_sets(g: Game, s: int, p: int, limit: int = MAX_EXHAUSTIVE_CHEATS) -> list[int]:
    """Non-empty sets of the moves p can secretly stop in s: all subsets up to ``limit`` such
    moves; beyond, each single move and the whole set."""
    hidden = hideable(g, s, p)
    if not hidden:
        return []
    if len(hidden) <= limit:
        out = []
        for size in range(1, len(hidden) + 1):
            for combo in combinations(hidden, size):
                out.append(sum(1 << m for m in combo))
        return out
    singles = [1 << m for m in hidden]
    return singles + [sum(singles)]


def detection_probability(g: Game, s: int, cheat: int) -> float:
    """q_C = 1 − Π_{m ∈ C} (1 − v_m(s))."""
    miss = 1.0
    for m in bits(cheat):
        miss *= 1.0 - verifiability_in(g, m, s)
    return 1.0 - miss


def punishment(g: Game, s: int, cheat: int, p: int) -> float:
    """Pun: p's value from the period it is caught cheating on C in s: C is out, p undoes what
    pays, the others snap back (each move lasting its lag), and the penalty runs forever."""
    base = s & ~cheat
    reversed_ = reverses(g, p, base & g.owned(p))
    snapped = snapback(g, base, p)
    d = float(g.delta[p])
    kept = lagged_value(g, base, p, reversed_ | snapped, 0)
    return float(kept - float(g.penalty[p]) / (1.0 - d) - reversal_total(g, reversed_))


def cheat_gain(g: Game, cheat: int, p: int) -> float:
    """Σ_{m ∈ C} (cost_m − value_m[p]): what p saves each period it secretly does not comply."""
    total = 0.0
    for m in bits(cheat):
        total += -g.flow[m, p]
    return float(total)


def covert_value(g: Game, s: int, cheat: int, p: int) -> float:
    """X_C of 'The final agreement' (docs/model.md) for a permanent cheat in a stationary state s."""
    q = detection_probability(g, s, cheat)
    d = g.delta[p]
    u = flow_utility(g, s, p)
    return float((u + cheat_gain(g, cheat, p) + d * q * punishment(g, s, cheat, p)) / (1.0 - d * (1.0 - q)))


def overt_final(g: Game, s: int, p: int) -> OvertCheck:
    return OvertCheck(p, stop_value(g, s, p), overt_deviation(g, s, 0, p))


def covert_final(g: Game, s: int, p: int) -> list[CovertCheck]:
    comply = stop_value(g, s, p)
    out = []
    for cheat in cheat_sets(g, s, p):
        out.append(
            CovertCheck(p, cheat, detection_probability(g, s, cheat), covert_value(g, s, cheat, p), comply)
        )
    return out


def is_stable(g: Game, s: int) -> bool:
    """Whether s can hold forever: no party gains by overt reversal or by covert cheating."""
    for p in range(g.n_parties):
        if not overt_final(g, s, p).holds:
            return False
        if not all(c.holds for c in covert_final(g, s, p)):
            return False
    return True
