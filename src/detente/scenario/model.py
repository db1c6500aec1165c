"""Resolved scenarios: every expression evaluated, every reference checked (docs/model.md, "Scenario files").

Plain frozen dataclasses, so the maths never sees an expression or a pydantic model.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from detente.scenario.schema import ScenarioSpec, SolverSpec

if TYPE_CHECKING:
    from detente.results import LinkedValue


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    discount: float
    unreciprocated_cost: float = 0.0
    defection_penalty: float = 0.0
    bargaining_power: float | None = None


@dataclass(frozen=True)
class Move:
    id: str
    owner: str
    label: str
    cost: float = 0.0
    value: dict[str, float] = field(default_factory=dict)
    upfront_cost: float = 0.0
    reversible: bool = False
    reversal_cost: float = 0.0
    reversal_lag: int = 0
    verifiability: float = 1.0
    verifiability_with: dict[str, float] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Proposal:
    id: str
    stages: tuple[tuple[str, ...], ...]
    label: str = ""
    by: str | None = None
    note: str = ""


@dataclass(frozen=True)
class PartyType:
    """A type of a party: its prior and the parameter values that hold if it is this type."""

    party: str
    id: str
    prior: float
    overrides: dict[str, float] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class Event:
    id: str
    date: datetime.date
    actor: str
    label: str
    likelihood: dict[str, float]
    source: str
    note: str = ""
    cluster: str | None = None


@dataclass(frozen=True)
class Cluster:
    """Related events counted as one observation, with the cluster's own likelihoods (or, if
    ``likelihood`` is empty, those of its most informative event)."""

    id: str
    actor: str
    likelihood: dict[str, float]
    label: str = ""


@dataclass(frozen=True)
class Outcome:
    """One stage of the schedule as it happened."""

    stage: int
    moves: tuple[str, ...]
    status: str  # "taken", "refused" or "quit"
    by: tuple[str, ...]
    date: datetime.date
    source: str
    covert_detected: datetime.date | None = None
    note: str = ""


@dataclass(frozen=True)
class Bargaining:
    """Which deal is struck: "nash" (the Nash product) or "offers" (a proposer's offers)."""

    protocol: str = "nash"
    proposer: str | None = None
    rounds: int = 3
    round_length: int = 1
    candidates: str = "solver"


@dataclass(frozen=True)
class Signal:
    id: str
    sender: str
    kind: str  # "sunk" or "tied-hands"
    cost: dict[str, float]
    good_type: str
    label: str = ""
    note: str = ""


@dataclass(frozen=True)
class Distribution:
    """One uncertain parameter (docs/model.md, "Summit versus working level"): ``kind`` and its numbers, checked."""

    parameter: str
    kind: str  # "triangular", "uniform", "beta" or "lognormal"
    params: dict[str, float]


@dataclass(frozen=True)
class Uncertainty:
    distributions: tuple[Distribution, ...]
    misperception: float  # σ0
    working_level_gain: float  # ρ
    summit_cooldown: int
    horizon: int
    summit_gain: float = 1.0  # σ × g at each summit
    working_level_refusal: tuple[float, ...] = ()  # by party (index), P(refuses a round); () = none
    working_level_cost: tuple[float, ...] = ()  # by party (index), the cost of a round held; () = none
    shock_hazard: float = 0.0


@dataclass(frozen=True)
class Scenario:
    """A scenario ready for the maths: numbers only, ids checked."""

    id: str
    title: str
    parties: tuple[Party, ...]
    moves: tuple[Move, ...]
    initial: tuple[str, ...] = ()
    proposals: tuple[Proposal, ...] = ()
    types: tuple[PartyType, ...] = ()
    events: tuple[Event, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    signals: tuple[Signal, ...] = ()
    uncertainty: Uncertainty | None = None
    parameters: dict[str, float] = field(default_factory=dict)
    domains: dict[str, tuple[float, float]] = field(default_factory=dict)
    solver: SolverSpec = field(default_factory=SolverSpec)
    bargaining: Bargaining = field(default_factory=Bargaining)
    outcomes: tuple[Outcome, ...] = ()
    period: str = "period"
    sources: tuple[str, ...] = ()
    origin: str = "<memory>"
    content_hash: str = ""
    spec: ScenarioSpec | None = field(default=None, compare=False, repr=False)
    linked: tuple[LinkedValue, ...] = field(default=(), compare=False, repr=False)
    """The parameters whose values were taken from forecasts (``load(..., from_forecast=True)``)."""

    def party(self, party_id: str) -> Party:
        return next(p for p in self.parties if p.id == party_id)

    def move(self, move_id: str) -> Move:
        return next(m for m in self.moves if m.id == move_id)

    def proposal(self, proposal_id: str) -> Proposal:
        return next(p for p in self.proposals if p.id == proposal_id)

    def types_of(self, party_id: str) -> tuple[PartyType, ...]:
        return tuple(t for t in self.types if t.party == party_id)
