"""What a type does inside a deal it may walk out of (docs/model.md, "Types and beliefs").

A type's value of a schedule when it may quit is the best of "comply to the end" and
"comply up to stage k − 1, then deviate optimally at k". Computed backwards, that is an
optimal stopping problem: W(K+1) = max(stay in the final agreement, its best overt or covert
deviation) and W(k) = max(D(k), a(k) + δ·W(k+1)), with D(k) the overt deviation of 'Deviations' (docs/model.md).
This is the slow, obviously-correct reference the robust kernel is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

from detente.model.deviation import Deviation, overt_deviation
from detente.model.game import TOLERANCE, Game
from detente.model.payoffs import flow_utility, one_time_cost, states_of, stop_value
from detente.model.stability import covert_final, overt_final


@dataclass(frozen=True)
class Choice:
    """One agent at one stage: complying (keeping the option to quit later) against deviating."""

    stage: int  # 1..K; K + 1 is the final agreement
    comply: float  # a(k) + δ·W(k+1), or the final agreement's stationary value
    deviate: float | None  # the best deviation's value; None when the agent has none
    value: float  # W(k) = max(comply, deviate)
    deviation: Deviation | None  # the overt deviation at a stage; None at the end
    covert: int  # at the end: the cheat set of the best deviation if it is covert, else 0

    @property
    def quits(self) -> bool:
        return self.deviate is not None and self.deviate > self.comply + TOLERANCE


def may_quit(g: Game, p: int, stages: list[int]) -> list[Choice]:
    """Party ``p``'s choices in ``g`` along ``stages``, stage 1 first, the final agreement last."""
    states = states_of(g, stages)
    k_count = len(stages)
    s = states[-1]
    comply = stop_value(g, s, p)
    best: float | None = None
    covert = 0
    overt = overt_final(g, s, p).deviation
    if overt is not None:
        best = overt.value
    for c in covert_final(g, s, p):
        if best is None or c.value > best:
            best, covert = c.value, c.cheat
    w = comply if best is None or comply >= best else best
    out = [Choice(k_count + 1, comply, best, w, overt if covert == 0 else None, covert)]
    d = float(g.delta[p])
    for k in range(k_count - 1, -1, -1):
        a = flow_utility(g, states[k + 1], p) - one_time_cost(g, stages[k], p)
        comply = a + d * w
        dev = overt_deviation(g, states[k], stages[k], p)
        value = None if dev is None else dev.value
        w = comply if value is None or comply >= value else value
        out.append(Choice(k + 1, comply, value, w, dev, 0))
    out.reverse()
    return out


def first_quit(choices: list[Choice]) -> int | None:
    """The stage at which the agent walks out, if it does (K + 1: it breaks the final agreement)."""
    for c in choices:
        if c.quits:
            return c.stage
    return None
