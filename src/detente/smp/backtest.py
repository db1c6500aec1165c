"""A multi-actor forecast held to the record: the forecast's positions against where each actor
stood on the dates of the file's ``[[record]]``, beside the baseline "nobody moves".

The model has no calendar. A turn is one round in which every actor challenges, bargains and
chooses, not a span of time, and the run stops when the actors stop moving, so the forecast's
final positions are what is compared with every date of the record. A position after a given
turn is compared too, for the dates a turn is chosen for (``turns``), and the error after every
turn is reported, so that a reader can see whether any stopping point would have done better.

Scores are mean absolute errors on the dimensions' 0-100 scale, per date: per dimension and over
every entry of that date. The baseline puts every actor at its input position (state 0). Since the
baseline cannot say which way anyone moves, each score also counts the entries whose record
differs from the input, and how many of them the forecast moved the same way.
Pure functions: the run is done by the caller.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

from detente.errors import ScenarioError
from detente.results import (
    BacktestRow,
    BacktestScore,
    ForecastBacktestResult,
    ForecastResult,
    TurnErrors,
)
from detente.smp.scenario import ForecastSpec

#: a difference (0-100 scale) below this is no move: rounding, not a change of stance
SAME = 1e-9

CALENDAR = (
    "The model has no calendar: a turn is one round in which every actor challenges, bargains "
    "and chooses, not a span of time, and the run stops when the actors stop moving. Every date "
    "of the record is compared with the forecast's final positions; with the positions after a "
    "turn only where a turn is chosen for the date."
)


def mean_absolute_error(pairs: Sequence[tuple[float, float]]) -> float:
    """The mean of |a - b| over the pairs (0 for none)."""
    if not pairs:
        return 0.0
    return sum(abs(a - b) for a, b in pairs) / len(pairs)


def _position(result: ForecastResult, state: int, actor: int, dim: int) -> float:
    """An actor's position on one dimension in one state, on 0-100 (a state after the last is
    the last)."""
    return 100.0 * result.positions[min(state, result.turns_run)][actor][dim]


def _score(
    date: datetime.date,
    dimension: str | None,
    name: str,
    rows: list[BacktestRow],
    turn: int | None,
) -> BacktestScore:
    base = mean_absolute_error([(r.baseline, r.record) for r in rows])
    fc = mean_absolute_error([(r.forecast, r.record) for r in rows])
    at = mean_absolute_error([(r.at_turn, r.record) for r in rows if r.at_turn is not None]) if turn is not None else None
    moved = [r for r in rows if _sign(r.record - r.baseline) != 0]
    same = [r for r in moved if _sign(r.forecast - r.baseline) == _sign(r.record - r.baseline)]
    return BacktestScore(
        date=date, dimension=dimension, dimension_name=name, n=len(rows), baseline_mae=base,
        forecast_mae=fc, turn=turn, at_turn_mae=at, gain=base - fc, record_moved=len(moved),
        same_direction=len(same),
    )


def _sign(x: float) -> int:
    """The direction of a move on 0-100, moves under 1e-9 being none (rounding)."""
    return 0 if abs(x) < SAME else (1 if x > 0 else -1)


def check_turns(spec: ForecastSpec, turns: Mapping[datetime.date, int]) -> None:
    """Each chosen turn is a whole number of at least 0, for a date of the record."""
    dates = sorted({r.date for r in spec.record})
    for date, turn in turns.items():
        if date not in dates:
            known = ", ".join(d.isoformat() for d in dates) or "none"
            raise ScenarioError("turns", date.isoformat(), f"no entry of the record is dated {date.isoformat()} (dates: {known})")
        if isinstance(turn, bool) or not isinstance(turn, int) or turn < 0:
            raise ScenarioError("turns", date.isoformat(), f"must be a whole number of turns, at least 0, got {turn!r}")


def backtest(
    spec: ForecastSpec,
    result: ForecastResult,
    *,
    origin: str,
    content_hash: str,
    turns: Mapping[datetime.date, int] | None = None,
) -> ForecastBacktestResult:
    """Score ``result`` (a run of ``spec``'s input) against ``spec.record``: per date, each
    entry's forecast, record and baseline, the mean absolute errors per dimension and overall,
    and the error after every turn. ``turns`` optionally chooses, per date, a turn whose positions
    are scored too (a turn after the last is the last state)."""
    if not spec.record:
        raise ScenarioError(origin, "record", "a forecast backtest needs [[record]]: where the actors stood on dates after the inputs")
    chosen = dict(turns or {})
    check_turns(spec, chosen)
    actors = [a.id for a in spec.actors]
    dims = [d.id for d in spec.dimensions]
    dates = sorted({r.date for r in spec.record})
    rows: list[BacktestRow] = []
    for entry in spec.record:
        a, k = actors.index(entry.actor), dims.index(entry.dimension)
        turn = chosen.get(entry.date)
        base = _position(result, 0, a, k)
        final = _position(result, result.turns_run, a, k)
        at = _position(result, turn, a, k) if turn is not None else None
        rows.append(
            BacktestRow(
                date=entry.date,
                actor=entry.actor,
                actor_name=spec.actors[a].name,
                dimension=entry.dimension,
                dimension_name=spec.dimensions[k].name,
                record=entry.position,
                baseline=base,
                forecast=final,
                at_turn=at,
                baseline_error=abs(base - entry.position),
                forecast_error=abs(final - entry.position),
                at_turn_error=None if at is None else abs(at - entry.position),
                source=entry.source,
                note=entry.note,
            )
        )
    rows.sort(key=lambda r: r.date)  # stable: the record's order within a date
    scores: list[BacktestScore] = []
    by_turn: list[TurnErrors] = []
    for date in dates:
        on = [r for r in rows if r.date == date]
        turn = chosen.get(date)
        used = None if turn is None else min(turn, result.turns_run)
        for k, d in enumerate(dims):
            these = [r for r in on if r.dimension == d]
            if these:
                scores.append(_score(date, d, spec.dimensions[k].name, these, used))
        scores.append(_score(date, None, "all dimensions", on, used))
        curve = [
            mean_absolute_error(
                [(_position(result, s, actors.index(r.actor), dims.index(r.dimension)), r.record) for r in on]
            )
            for s in range(result.turns_run + 1)
        ]
        by_turn.append(TurnErrors(date=date, mae=curve, best_turn=min(range(len(curve)), key=lambda s: curve[s])))
    return ForecastBacktestResult(
        scenario=spec.forecast.id,
        title=spec.forecast.title,
        source=origin,
        content_hash=content_hash,
        turns_run=result.turns_run,
        converged=result.converged,
        calendar=CALENDAR,
        dates=dates,
        scores=scores,
        rows=rows,
        by_turn=by_turn,
        summary=summary(scores),
    )


def summary(scores: Sequence[BacktestScore]) -> str:
    """One sentence: per date, the forecast's overall error against the baseline's."""
    overall = [s for s in scores if s.dimension is None]
    parts = [
        f"on {s.date.isoformat()} the forecast's mean absolute error is {s.forecast_mae:.1f} points "
        f"against {s.baseline_mae:.1f} for 'nobody moves', and it moves {s.same_direction} of the "
        f"{s.record_moved} recorded moves the right way"
        for s in overall
    ]
    wins = sum(1 for s in overall if s.gain > 0)
    text = "; ".join(parts)
    return (
        text[:1].upper() + text[1:]
        + f": the forecast beats 'nobody moves' on {wins} of {len(overall)} date{'s' if len(overall) != 1 else ''}."
    )


__all__ = ["CALENDAR", "SAME", "backtest", "check_turns", "mean_absolute_error", "summary"]
