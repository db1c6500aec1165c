"""A summit of a simulated history under protocol "offers" (docs/model.md, "Summit versus
working level", "Offers"): the proposer makes the offer its own reading and its current
belief make best, the responder's true type answers by its own reading.

The proposer solves the offers game of docs/model.md ("Offers") over the responder's types:
the meetings left before the horizon, ℓ = summit_cooldown + 1 periods apart, each δ times
(1 − shock_hazard) on values measured from the no-deal value (a shock ends talks still under
way in no deal). Its candidates are the scenario's
proposals and, for each responder type, the solver's deal in that type's world as the proposer
reads it: the solver's whole type-robust frontiers, which ``detente offers`` searches, cost
about a second a meeting, too much for thousands of histories (docs/model.md says so).

The responder knows its type and, once offered, the proposer's (the offer reveals it, as the
offers game assumes). It accepts iff the offer's play in its own reading is worth at least
refusing, where refusing is followed by the proposer's offers at the later meetings of the
proposer's solution (the proposer's belief moving as that solution expects), each of which it
again takes or leaves by its own reading: a best response to the proposer's strategy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from detente.model.bargaining import disagreement
from detente.model.game import TOLERANCE, Game
from detente.model.offers import OfferGame, OffersSolution, annuity, offer_game_over, solve_offers
from detente.model.payoffs import flow_utility
from detente.model.play import play_values

MAX_MEETINGS = 12  # the offers game's own bound on the number of meetings


@dataclass(frozen=True)
class Answer:
    """One summit under "offers": what was offered and what came of it."""

    offer: tuple[int, ...] | None  # the stages offered; None: the proposer offers nothing
    accepted: bool
    expected_refusers: tuple[int, ...]  # the responder types the proposer expected to refuse it


def meetings_left(t: int, end: int, spacing: int) -> int:
    """The summits still possible from period t to the horizon, ``spacing`` periods apart."""
    return min(MAX_MEETINGS, max(1, (end - 1 - t) // spacing + 1))


def _from_no_deal(g: Game, q: int) -> tuple[float, float]:
    """Party q's no-deal value d and its flow in talks measured from it, u − (1 − δ)d: in
    values measured from d a shock, which ends the talks in no deal, is worth 0 from then on,
    so the hazard is exactly a discount, δ·(1 − h) (docs/model.md, "Summit versus working
    level"). Measuring from d changes no choice: each world's values move by the same amount."""
    d = float(disagreement(g).values[q])
    return d, flow_utility(g, g.initial, q) - (1.0 - float(g.delta[q])) * d


def offer_game(
    worlds: Sequence[Game],
    candidates: Sequence[tuple[int, ...]],
    belief: Sequence[float],
    meetings: int,
    spacing: int,
    survival: float,
    p: int,
    r: int,
) -> OfferGame:
    """The offers game as the proposer reads it (world t: the responder is of type t), every
    value measured from the party's no-deal value in that world."""
    total = float(sum(belief))
    pi = np.array([b / total for b in belief]) if total > 0 else np.full(len(worlds), 1.0 / len(worlds))
    return offer_game_over(
        worlds, candidates, pi, meetings, spacing, p, r, lambda g, st: play_values(g, list(st)),
        survival=survival, from_no_deal=True,
    )


def responder_accepts(
    solution: OffersSolution, candidates: Sequence[tuple[int, ...]], own: Game, r: int, survival: float
) -> bool:
    """Whether the responder, valuing every offer in its own reading ``own``, takes the
    proposer's first offer: its value of taking it against that of refusing and best-responding
    to the proposer's later offers (indifference accepts, as in the offers game)."""
    g = solution.game
    delta = float(own.delta[r]) * survival
    d, flow = _from_no_deal(own, r)
    plays: dict[int, float] = {}

    def take(meeting: int, x: int) -> float:
        if x not in plays:
            plays[x] = float(play_values(own, list(candidates[x]))[r]) - d
        n = g.period(meeting)
        return float(flow * annuity(np.array([delta]), n)[0] + delta**n * plays[x])

    def value(meeting: int, s: int) -> float:
        if meeting > g.rounds:
            return float(flow * annuity(np.array([delta]), g.period(g.rounds))[0])
        node = solution.nodes[(meeting, s)]
        if node.offer is None:
            return value(meeting + 1, s)
        return max(take(meeting, node.offer), value(meeting + 1, node.after_refusal))

    first = solution.nodes[(1, g.all)]
    assert first.offer is not None
    return take(1, first.offer) >= value(2, first.after_refusal) - TOLERANCE


def summit(game: OfferGame, candidates: Sequence[tuple[int, ...]], own: Game, r: int, survival: float) -> Answer:
    """The proposer's offer at this summit (meeting 1 of ``game``, the meetings left) and the
    responder's answer, which ``own`` (its reading of its true world) decides."""
    solution = solve_offers(game)
    first = solution.nodes[(1, game.all)]
    if first.offer is None:
        return Answer(None, False, ())
    refusers = tuple(i for i in range(game.n_types) if first.refusers >> i & 1)
    accepted = responder_accepts(solution, candidates, own, r, survival)
    return Answer(tuple(candidates[first.offer]), accepted, refusers)


__all__ = ["Answer", "meetings_left", "offer_game", "responder_accepts", "summit"]
