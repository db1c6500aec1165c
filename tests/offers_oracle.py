"""An independent, slow solver of the offers protocol (docs/model.md, Offers), to test
``detente.model.offers`` against.

It searches the game tree itself: a history is the sequence of actions P took so far (an
offer's index, or None for a meeting that passed), every offer refused. At each history P
holds a belief set S (the types consistent with the responses along it); the oracle tries
every action and, for an offer, every accept/refuse profile of the types in S, solves the
subtree after the actual history with the belief that profile leads to, checks the profile
against each type's best response, and applies the selection rules. Values are found by
playing the plan out, flow by flow, in the true type's world — no (meeting, S) table, no bit
masks, no closed forms. Memoised on (history, S) only, so two histories never share a plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from detente.model.offers import OfferGame

TOL = 1e-9
Action = int | None
History = tuple[Action, ...]


@dataclass
class Plan:
    """P's equilibrium behaviour at one history and every history after it."""

    history: History
    belief: frozenset[str]
    offer: Action = None
    value: float = 0.0  # P's expected value, conditional on the belief
    refusers: dict[int, frozenset[str]] = field(default_factory=dict)  # J for each offer kept
    removed: list[int] = field(default_factory=list)
    children: dict[Action, Plan | None] = field(default_factory=dict)  # None: the talks end

    @property
    def meeting(self) -> int:
        return len(self.history) + 1


class Oracle:
    def __init__(self, game: OfferGame) -> None:
        self.g = game
        self.types = list(game.types)
        self.memo: dict[tuple[History, frozenset[str]], Plan | None] = {}

    # --- payoffs, summed period by period -------------------------------------------------
    def _worth(self, side: str, t: str, periods: int, final: float) -> float:
        i = self.types.index(t)
        delta = float(getattr(self.g, f"{side}_delta")[i])
        flow = float(getattr(self.g, f"{side}_flow")[i])
        return sum(flow * delta**k for k in range(periods)) + delta**periods * final

    def accept(self, side: str, meeting: int, x: int, t: str) -> float:
        value = getattr(self.g, f"{side}_value")[x, self.types.index(t)]
        return self._worth(side, t, (meeting - 1) * self.g.round_length, float(value))

    def end(self, side: str, t: str) -> float:
        final = float(getattr(self.g, f"{side}_disagreement")[self.types.index(t)])
        return self._worth(side, t, (self.g.rounds - 1) * self.g.round_length, final)

    def weights(self, belief: frozenset[str]) -> dict[str, float]:
        total = sum(float(self.g.belief[self.types.index(t)]) for t in belief)
        if total == 0:
            return {t: 1.0 / len(belief) for t in belief}
        return {t: float(self.g.belief[self.types.index(t)]) / total for t in belief}

    # --- playing a plan out in the world of type t ----------------------------------------
    def accepts(self, plan: Plan, x: int, t: str) -> bool:
        return self.accept("r", plan.meeting, x, t) >= self.type_value(plan.children[x], t) - TOL

    def type_value(self, plan: Plan | None, t: str) -> float:
        if plan is None:
            return self.end("r", t)
        x = plan.offer
        if x is not None and self.accepts(plan, x, t):
            return self.accept("r", plan.meeting, x, t)
        return self.type_value(plan.children[x], t)

    def proposer_value(self, plan: Plan | None, t: str) -> float:
        if plan is None:
            return self.end("p", t)
        x = plan.offer
        if x is not None and self.accepts(plan, x, t):
            return self.accept("p", plan.meeting, x, t)
        return self.proposer_value(plan.children[x], t)

    # --- the search -------------------------------------------------------------------------
    def solve(self, history: History = (), belief: frozenset[str] | None = None) -> Plan | None:
        belief = frozenset(self.types) if belief is None else belief
        key = (history, belief)
        if key not in self.memo:
            self.memo[key] = self._solve(history, belief)
        return self.memo[key]

    def _solve(self, history: History, belief: frozenset[str]) -> Plan | None:
        meeting = len(history) + 1
        if meeting > self.g.rounds:
            return None
        plan = Plan(history, belief)
        w = self.weights(belief)
        ordered = [t for t in self.types if t in belief]
        profiles = [frozenset(c) for k in range(len(ordered) + 1) for c in combinations(ordered, k)]
        # (value, key, action): key = (−types accepting, stages, rank, index); "no offer" (0, 0, −1, −1)
        wait = self.solve(history + (None,), belief)
        plan.children[None] = wait
        options: list[tuple[float, tuple[int, int, int, int], Action]] = [
            (sum(w[t] * self.proposer_value(wait, t) for t in ordered), (0, 0, -1, -1), None)
        ]
        for x in range(self.g.n_offers):
            found: list[tuple[float, frozenset[str], Plan | None]] = []
            for refusers in profiles:  # smaller first, then lexicographic in the types' order
                child = self.solve(history + (x,), refusers or belief)
                fits = all(
                    (t in refusers) == (self.type_value(child, t) > self.accept("r", meeting, x, t) + TOL)
                    for t in ordered
                )
                if fits:
                    value = sum(
                        w[t] * (self.proposer_value(child, t) if t in refusers else self.accept("p", meeting, x, t))
                        for t in ordered
                    )
                    found.append((value, refusers, child))
            if not found:
                plan.removed.append(x)
                continue
            top = max(v for v, _, _ in found)
            value, refusers, child = next(f for f in found if f[0] >= top - TOL)
            plan.refusers[x] = refusers
            plan.children[x] = child
            key = (-(len(belief) - len(refusers)), int(self.g.stages[x]), int(self.g.rank[x]), x)
            options.append((value, key, x))
        top = max(v for v, _, _ in options)
        value, _, plan.offer = min((o for o in options if o[0] >= top - TOL), key=lambda o: o[1])
        plan.value = value
        return plan

    def path(self, true_type: str, belief: frozenset[str] | None = None) -> list[tuple[int, frozenset[str], Action, bool]]:
        """(meeting, belief set, action, accepted) along the play against ``true_type``."""
        out = []
        plan = self.solve((), belief)
        while plan is not None:
            x = plan.offer
            taken = x is not None and self.accepts(plan, x, true_type)
            out.append((plan.meeting, plan.belief, x, taken))
            if taken:
                break
            plan = plan.children[x]
        return out
