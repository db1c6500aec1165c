"""KTAB's Spatial Model of Politics (SMP), default configuration, reproduced exactly.

Usage::

    from detente.smp import read_ktab_csv, run_smp
    inp = read_ktab_csv("SOE-Pol-Comp.csv")
    result = run_smp(inp, max_turns=100)

The model follows ``design/SMP.md`` with these corrections, each found by reproducing KTAB's
reference log of SOE-Pol-Comp (every turn's positions at 4 decimals, fractional changes,
challenges and winning probabilities):

* Ideals follow positions: each turn starts with y_i = x_i of that turn (identity
  accommodation), not the initial positions.
* Risk attitudes come from an election over all N positions, coincident ones counted
  separately; the winning probabilities use unique positions (Euclidean distance < 1e-3 on
  the 0-1 scale, grouped with the first such actor) and the voters' risk-aware utilities.
* The winning probabilities are those of the state a turn starts from; the last state's are
  computed too (T+1 columns for T turns).
* The fractional change is printed (and returned) from turn 1 on, where it is 0.9998 =
  m/(m+1e-4); the movement is the sum over actors of the Euclidean norm on the 0-1 scale.
* KTAB builds the queues in thread order (the status quo is not always first); the order
  only matters for exact ties, which do not occur in the reference. Here: status quo, then
  bargains by initiator.
"""

from __future__ import annotations

from detente.smp.csv import SmpInput, parse_ktab_csv, read_ktab_csv
from detente.smp.model import run_positions
from detente.smp.results import Challenge, ForecastResult, QueueChoice, TurnRecord

__all__ = [
    "Challenge",
    "ForecastResult",
    "QueueChoice",
    "SmpInput",
    "TurnRecord",
    "parse_ktab_csv",
    "read_ktab_csv",
    "run_smp",
]


def _floats(values: object) -> list[float]:
    import numpy as np

    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def run_smp(inp: SmpInput, max_turns: int = 100) -> ForecastResult:
    """Run the SMP on ``inp`` until the stopping rule (or ``max_turns`` turns)."""
    if max_turns < 1:
        raise ValueError(f"max_turns must be at least 1, got {max_turns}")
    out = run_positions(inp.position, inp.salience, inp.capability, max_turns=max_turns)
    names = inp.actor_names
    turns: list[TurnRecord] = []
    for t, tu in enumerate(out.turns):
        challenges = [
            Challenge(
                initiator=i,
                initiator_name=names[i],
                target=int(tu.target[i]),
                target_name=names[int(tu.target[i])],
                gain=float(tu.gain[i]),
                probability=float(tu.prob[i]),
                initiator_position=_floats(tu.bargain_init[i]),
                target_position=_floats(tu.bargain_target[i]),
            )
            for i in range(inp.n_actors)
            if tu.target[i] >= 0
        ]
        choices = [
            QueueChoice(
                actor=k,
                actor_name=names[k],
                items=[None if m < 0 else m for m in tu.queue[k]],
                probabilities=_floats(tu.queue_prob[k]),
                chosen=None if tu.chosen[k] < 0 else int(tu.chosen[k]),
                position=_floats(tu.positions[k]),
            )
            for k in range(inp.n_actors)
        ]
        turns.append(
            TurnRecord(
                turn=t,
                risk_attitudes=_floats(tu.risk),
                challenges=challenges,
                choices=choices,
                fractional_change=out.fractional_change[t],
            )
        )
    n_turns = len(out.turns)
    converged = n_turns >= 2 and out.fractional_change[-1] < 0.02
    return ForecastResult(
        scenario=inp.name,
        description=inp.description,
        actors=list(names),
        dimensions=list(inp.dimension_names),
        turns_run=n_turns,
        converged=converged,
        positions=[[_floats(row) for row in state] for state in out.positions],
        fractional_changes=list(out.fractional_change),
        winning_probabilities=[_floats(tu.win_prob) for tu in out.turns]
        + [_floats(out.final_win_prob)],
        risk_attitudes=[_floats(tu.risk) for tu in out.turns] + [_floats(out.final_risk)],
        turns=turns,
    )
