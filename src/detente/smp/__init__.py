"""KTAB's Spatial Model of Politics (SMP), default configuration, reproduced exactly.

Usage::

    from detente.smp import read_ktab_csv, run_smp
    inp = read_ktab_csv("SOE-Pol-Comp.csv")
    result = run_smp(inp, max_turns=100)

The model is restated in docs/model.md, "The multi-actor forecast". Reproducing KTAB's reference log of SOE-Pol-Comp (every
turn's positions at 4 decimals, fractional changes, risk attitudes, all challenges, bargains
and queue elections, the winning probabilities) settled where the written description is silent or
wrong; KTAB's behaviour, as implemented here:

* Ideals follow positions (identity accommodation): every turn starts with y_i = x_i of that
  turn, not of the input. The log prints "postn-ideal distance 0" each turn; with fixed
  ideals the run diverges from turn 1.
* Risk attitudes come from an election over all N positions with coincident positions counted
  as separate options (at the start ZG and MEP coincide; merging them changes every R),
  risk-neutral utilities 1 - d and capability weights. R lies in [-1/2, 1] (BigRRange Mid).
* The winning probabilities are a different election: over unique positions, where two
  positions are one option when their plain Euclidean distance on the 0-1 scale is below
  1e-3 (a max-norm test differs at states 15 and 24), an actor joining the first earlier
  actor so close; voters use their own risk-aware utilities u(d_kj, R_k) and capability
  weights; coincident actors share their option's probability. They belong to states, so a
  run of T turns has T+1 columns (the state each turn starts from, and the last).
* The queue value of step 9 is simply each actor's mean over all N positions after the
  bargain of u(d(y_a, x'_n), R_a); for unmoved positions that is U^a_{a,n}.
* The fractional change is computed from turn 1 on (there it is m/(m + 1e-4) = 0.9998); the
  movement of a turn is the sum over actors of the unweighted Euclidean norm of their change
  on the 0-1 scale. Stopping needs t >= 2: the reference stops after 27 turns (28 states).
* KTAB runs the challenges in threads: its log lists challenges and each queue in thread
  order, the status quo not always first. Only exact ties could make the order matter (none
  occur in the reference); here a queue is the status quo, then bargains by initiator, and
  the first item wins a tie.
* Bargains use the initiator's estimate of P (InitOnlyInterp). KTAB also prints the target's
  version and a power-weighted compromise; neither is used. The rounding to 4 decimals is
  confirmed by the log (every printed bargain coordinate is a multiple of 0.01 on 0-100);
  half-up versus half-even cannot be told from it, as no exact half arises in binary floats.
"""

from __future__ import annotations

import numpy as np

from detente.results import Challenge, ForecastResult, QueueChoice, TurnRecord
from detente.smp.csv import SmpInput, parse_ktab_csv, read_ktab_csv
from detente.smp.model import STOP_RATIO, Transition, run_positions

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
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def run_smp(
    inp: SmpInput,
    max_turns: int = 100,
    transition: Transition = "deterministic",
    rng: np.random.Generator | None = None,
) -> ForecastResult:
    """Run the SMP on ``inp`` until the stopping rule (or ``max_turns`` turns).

    ``transition="stochastic"`` (with ``rng``) samples each queue election's item from its
    probabilities instead of taking the most probable (KTAB's default)."""
    if max_turns < 1:
        raise ValueError(f"max_turns must be at least 1, got {max_turns}")
    out = run_positions(
        inp.position, inp.salience, inp.capability, max_turns=max_turns, transition=transition, rng=rng
    )
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
    converged = n_turns >= 2 and out.fractional_change[-1] < STOP_RATIO
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
