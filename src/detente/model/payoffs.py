"""Flows and continuation values of a schedule (docs/model.md, "Flows and values").

Sums run over moves in index order, the same order the compiled solver uses, so that the
solver's values equal these bit for bit and ties are decided identically.
"""

from __future__ import annotations

import numpy as np

from detente.model.game import FloatArray, Game, bits


def flow_utility(g: Game, s: int, p: int) -> float:
    """u_p(s) = Σ_{m ∈ s} (value_m[p] − [owner(m) = p]·cost_m), kept on the game: the play
    of every candidate schedule meets the same states again."""
    cache = g.__dict__.setdefault("_flow_utility", {})
    key = (s, p)
    if key in cache:
        return cache[key]  # type: ignore[no-any-return]
    total = 0.0
    for m in bits(s):
        total += g.flow[m, p]
    cache[key] = value = float(total)
    return value


def one_time_cost(g: Game, stage: int, p: int) -> float:
    """o_p(S): p's upfront costs in S plus its unreciprocated cost if it alone moves in S
    (kept on the game, as :func:`flow_utility`)."""
    cache = g.__dict__.setdefault("_one_time_cost", {})
    key = (stage, p)
    if key in cache:
        return cache[key]  # type: ignore[no-any-return]
    total = 0.0
    owners = set()
    for m in bits(stage):
        owners.add(int(g.owner[m]))
        if g.owner[m] == p:
            total += g.upfront[m]
    if owners == {p}:
        total += g.unreciprocated[p]
    cache[key] = value = float(total)
    return value


def stop_value(g: Game, s: int, p: int) -> float:
    """Value of staying in s forever: u_p(s)/(1 − δ_p)."""
    return flow_utility(g, s, p) / (1.0 - float(g.delta[p]))


def states_of(g: Game, stages: list[int]) -> list[int]:
    """s_0, s_1, ..., s_K for a schedule of stage masks."""
    states = [g.initial]
    for stage in stages:
        states.append(states[-1] | stage)
    return states


def schedule_values(g: Game, stages: list[int]) -> FloatArray:
    """V[k−1, p] = V_p(k) for k = 1..K+1 (row K is the final agreement's value)."""
    states = states_of(g, stages)
    k_count = len(stages)
    values = np.empty((k_count + 1, g.n_parties))
    for p in range(g.n_parties):
        values[k_count, p] = stop_value(g, states[-1], p)
        for k in range(k_count - 1, -1, -1):
            a = flow_utility(g, states[k + 1], p) - one_time_cost(g, stages[k], p)
            values[k, p] = a + g.delta[p] * values[k + 1, p]
    return values


def missing_requirements(g: Game, s_after: int) -> list[tuple[int, int]]:
    """(move, required move) pairs violated in state s_after."""
    out = []
    for m in bits(s_after):
        for r in bits(g.requires[m] & ~s_after):
            out.append((m, r))
    return out
