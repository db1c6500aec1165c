"""Typed results of an SMP run (pydantic): what a forecast returns, turn by turn.

Positions are on the model's 0-1 scale (KTAB prints them times 100). Turn t leads from state t
to state t+1; state 0 is the input.
"""

from __future__ import annotations

import datetime

from pydantic import Field

from detente.notebook import Result


class Challenge(Result):
    """One actor's challenge in a turn, as the initiator sees it (steps 6-8)."""

    initiator: int
    initiator_name: str
    target: int
    target_name: str
    gain: float = Field(description="expected gain dEU of the challenge to the initiator")
    probability: float = Field(description="P that the initiator prevails, as it estimates")
    initiator_position: list[float] = Field(
        description="the bargain's new position for the initiator"
    )
    target_position: list[float] = Field(description="the bargain's new position for the target")


class QueueChoice(Result):
    """An actor's queue election (step 9): its items, their probabilities and the one taken.

    An item is the initiator of a bargain involving the actor, or None for the status quo.
    """

    actor: int
    actor_name: str
    items: list[int | None]
    probabilities: list[float]
    chosen: int | None
    position: list[float] = Field(description="the actor's position after the turn")


class TurnRecord(Result):
    """One turn: the starting state's risk attitudes, every challenge, every queue election."""

    turn: int
    risk_attitudes: list[float]
    challenges: list[Challenge]
    choices: list[QueueChoice]
    fractional_change: float = Field(description="movement of this turn / (turn 0's + 1e-4)")


class ActorMove(Result):
    """Why an actor moved: its largest move in one turn, and the bargain behind it."""

    actor: str
    turn: int | None = Field(description="the turn of its largest move (None: it never moved)")
    moved: float = Field(description="that move's length, on the 0-100 scale")
    total: float = Field(description="from its input position to its final one, 0-100 scale")
    sentence: str


class ForecastResult(Result):
    """A whole SMP run on one scenario."""

    scenario: str
    description: str
    actors: list[str]
    dimensions: list[str]
    turns_run: int = Field(description="number of turns T; there are T+1 states")
    converged: bool = Field(description="stopped by the fractional-change rule, not max_turns")
    positions: list[list[list[float]]] = Field(description="[state][actor][dimension], 0-1 scale")
    fractional_changes: list[float] = Field(description="one per turn")
    winning_probabilities: list[list[float]] = Field(description="[state][actor]")
    risk_attitudes: list[list[float]] = Field(description="[state][actor]")
    turns: list[TurnRecord]
    why: list[ActorMove] = Field(default_factory=list, description="per actor: its largest move, in words")

    def final_positions(self) -> list[list[float]]:
        """Each actor's position in the last state."""
        return self.positions[-1]


class Spread(Result):
    """A quantity's distribution over the draws: mean, standard deviation, percentiles."""

    mean: float
    sd: float
    p5: float
    p50: float
    p95: float


class PositionSpread(Result):
    """An actor's final position on one dimension over the draws (0-100 scale)."""

    actor: str = Field(description="the actor's id")
    actor_name: str
    dimension: str = Field(description="the dimension's id")
    start: float = Field(description="the input's position (0-100)")
    final: Spread


class OutcomeSpread(Result):
    """The capability-weighted mean of the final positions on one dimension, over the draws."""

    dimension: str
    dimension_name: str
    start: float = Field(description="the input's capability-weighted mean position (0-100)")
    final: Spread
    mean_low: float = Field(description="95% confidence interval of the mean (Monte Carlo error)")
    mean_high: float


class ActorStays(Result):
    """How far an actor ends from where its draw started (Euclidean over the dimensions, 0-100)."""

    actor: str
    actor_name: str
    within: float = Field(description="X: the distance counted as staying")
    p_within: float = Field(description="share of draws in which it ends within X of its start")
    p_low: float = Field(description="Wilson 95% interval of that share")
    p_high: float
    moved: Spread


class Varied(Result):
    """One uncertain input and its distribution (on the file's scale)."""

    key: str
    distribution: str
    params: dict[str, float]


class ForecastMonteCarloResult(Result):
    """``detente forecast --samples N``: the forecast over N draws of the uncertain inputs
    (and of the queue elections, with the stochastic transition)."""

    scenario: str
    source: str
    content_hash: str
    transition: str = Field(description="deterministic (KTAB's default) or stochastic")
    samples: int
    completed: int
    complete: bool = Field(description="False when interrupted: the summaries cover the completed draws")
    seed: int
    max_turns: int
    varied: list[Varied]
    outcomes: list[OutcomeSpread]
    positions: list[PositionSpread]
    stays: list[ActorStays]
    turns: Spread
    converged_share: float
    executor: str
    workers: int | None
    seconds: float


class BacktestRow(Result):
    """One [[record]] entry against the forecast (positions on 0-100)."""

    date: datetime.date
    actor: str = Field(description="the actor's id")
    actor_name: str
    dimension: str = Field(description="the dimension's id")
    dimension_name: str
    record: float = Field(description="where the actor stood on the date, as coded from the source")
    baseline: float = Field(description="'nobody moves': the actor's input position")
    forecast: float = Field(description="the forecast's final position")
    at_turn: float | None = Field(description="the position after the turn chosen for the date (None: no turn chosen)")
    baseline_error: float = Field(description="|baseline - record|")
    forecast_error: float = Field(description="|forecast - record|")
    at_turn_error: float | None
    source: str
    note: str


class BacktestScore(Result):
    """Mean absolute errors (0-100 points) on one date, for one dimension or all of them."""

    date: datetime.date
    dimension: str | None = Field(description="the dimension's id; None: every dimension together")
    dimension_name: str
    n: int = Field(description="record entries scored")
    baseline_mae: float = Field(description="'nobody moves'")
    forecast_mae: float = Field(description="the forecast's final positions")
    turn: int | None = Field(description="the turn chosen for the date (None: none)")
    at_turn_mae: float | None = Field(description="the positions after that turn")
    gain: float = Field(description="baseline_mae - forecast_mae: positive when the forecast beats 'nobody moves'")
    record_moved: int = Field(description="entries whose record differs from the input position")
    same_direction: int = Field(
        description="of those, the entries the forecast moved the same way (up or down) as the record"
    )


class TurnErrors(Result):
    """A date's mean absolute error over every entry, after each turn (state 0 is the input,
    i.e. the baseline; the last is the forecast's final state)."""

    date: datetime.date
    mae: list[float] = Field(description="one per state 0..T")
    best_turn: int = Field(description="the state with the smallest error (the first, on a tie)")


class ForecastBacktestResult(Result):
    """A forecast held to its [[record]] (docs/model.md, "Validation"; docs/validation.md)."""

    scenario: str = Field(description="the forecast's id")
    title: str
    source: str = Field(description="SOURCE as given (a built-in id or a path)")
    content_hash: str = Field(description="SHA-256 of the source file's bytes")
    turns_run: int
    converged: bool
    calendar: str = Field(description="what the model's turns mean in time (it has no calendar)")
    dates: list[datetime.date]
    scores: list[BacktestScore] = Field(description="per date: each dimension, then all together")
    rows: list[BacktestRow] = Field(description="per date, actor and dimension, in the record's order")
    by_turn: list[TurnErrors]
    summary: str
