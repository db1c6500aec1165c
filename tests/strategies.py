"""Hypothesis strategies: random small scenarios on a grid of values, so that ties are common."""

from __future__ import annotations

from hypothesis import strategies as st

from detente.scenario.model import Move, Party, Scenario
from detente.scenario.schema import SolverSpec

HALVES = st.integers(-2, 12).map(lambda i: i / 2)
NON_NEGATIVE = st.integers(0, 6).map(lambda i: i / 2)
DISCOUNTS = st.sampled_from([0.5, 0.6, 0.7, 0.8, 0.9, 0.95])
VERIFIABILITY = st.sampled_from([1.0, 1.0, 1.0, 1.0, 0.9, 0.5, 0.3])
LAGS = st.sampled_from([0, 0, 0, 1, 2, 4])  # reversal lags: mostly none, some of several periods


@st.composite
def scenarios(draw: st.DrawFn, max_free: int = 6, max_parties: int = 2, max_initial: int = 2) -> Scenario:
    n_parties = draw(st.integers(2, max_parties))
    parties = tuple(
        Party(
            id=f"p{i}",
            name=f"Party {i}",
            discount=draw(DISCOUNTS),
            unreciprocated_cost=draw(NON_NEGATIVE),
            defection_penalty=draw(st.integers(0, 16).map(lambda i: i / 2)),
        )
        for i in range(n_parties)
    )
    n_free = draw(st.integers(1, max_free))
    n_initial = draw(st.integers(0, max_initial))
    n = n_free + n_initial
    ids = [f"m{i}" for i in range(n)]
    balanced = draw(st.booleans())  # owners alternate: every party has something to give
    moves = []
    for i, mid in enumerate(ids):
        owner = i % n_parties if balanced else draw(st.integers(0, n_parties - 1))
        value = {f"p{j}": draw(HALVES) for j in range(n_parties) if j != owner and draw(st.integers(0, 3)) > 0}
        if draw(st.integers(0, 4)) == 0:
            value[f"p{owner}"] = draw(HALVES)
        reversible = draw(st.integers(0, 2)) > 0
        requires: tuple[str, ...] = ()
        if i > 0 and i < n_free and draw(st.integers(0, 5)) == 0:
            requires = (ids[draw(st.integers(0, i - 1))],)
        with_: dict[str, float] = {}
        if draw(st.integers(0, 5)) == 0:
            other = draw(st.integers(0, n - 1))
            if other != i:
                with_[ids[other]] = draw(st.sampled_from([0.8, 0.95, 1.0]))
        moves.append(
            Move(
                id=mid,
                owner=f"p{owner}",
                label=f"Move {mid}",
                cost=draw(NON_NEGATIVE),
                value=value,
                upfront_cost=draw(st.sampled_from([0.0, 0.0, 0.5, 1.0])),
                reversible=reversible,
                reversal_cost=draw(NON_NEGATIVE) if reversible else 0.0,
                reversal_lag=draw(LAGS) if reversible else 0,
                verifiability=draw(VERIFIABILITY),
                verifiability_with=with_,
                requires=requires,
            )
        )
    # initial moves come last and require nothing
    initial = tuple(ids[n_free:])
    for i in range(n_free, n):
        m = moves[i]
        moves[i] = Move(**{**m.__dict__, "requires": ()})
    solver = SolverSpec(
        max_stage_moves=draw(st.integers(1, 3)),
        max_stages=draw(st.integers(1, 6)),
    )
    return Scenario(id="random", title="random", parties=parties, moves=tuple(moves), initial=initial, solver=solver)
