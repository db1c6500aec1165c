"""The scenario file format (docs/model.md, "Scenario files") as pydantic models.

These models check structure and types only: every key known, every field of the right kind.
Numbers may be expressions; they are resolved, and cross-references checked, in
:mod:`detente.scenario.resolve`. ``extra="forbid"`` makes unknown keys an error.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
ParamName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)]
Text = Annotated[str, StringConstraints(max_length=4000)]
# A number, or an expression over [parameters] (see detente.scenario.expressions).
Num = float | Annotated[str, StringConstraints(max_length=500)]

PARTY_NUMBER_FIELDS = ("discount", "unreciprocated_cost", "defection_penalty", "bargaining_power")
MOVE_NUMBER_FIELDS = (
    "cost",
    "value",
    "upfront_cost",
    "reversal_cost",
    "reversal_lag",
    "verifiability",
    "verifiability_with",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True)


class ScenarioHeader(_Strict):
    id: Id
    """Lower-case letters, digits and dashes; unique in the library."""
    title: Text
    """A one-line title."""
    period: Text = "period"
    """What one period means (a label only), e.g. "quarter"."""
    initial: list[Id] = Field(default_factory=list)
    """Moves already in effect at the start (the status quo)."""
    sources: list[Text] = Field(default_factory=list)
    """Where the scenario's facts come from."""
    description: Text = ""
    """What the scenario models, its unit of value and its main judgement calls."""
    note: Text = ""


class ForecastLink(_Strict):
    """Where a parameter's value comes from under `detente run --from-forecast`: the
    capability-weighted mean final position x (0-100) of ``actors`` on ``dimension`` in the
    forecast ``scenario``, mapped linearly: value = at_0 + (at_100 - at_0) * x / 100."""

    scenario: Text
    dimension: Text
    actors: list[Text] = Field(min_length=1)
    at_0: float
    at_100: float
    note: Text = ""


class Parameter(_Strict):
    value: float
    """The number; `--set NAME=VALUE` overrides it."""
    min: float | None = None
    """The lowest value the parameter can take (its domain): `--set`, sliders, type overrides
    and distributions below it are refused."""
    max: float | None = None
    """The highest value the parameter can take (its domain)."""
    note: Text = ""
    source: Text = ""
    owner: Id | None = None
    """The party that privately knows this number (for misperception)."""
    forecast: ForecastLink | None = None
    """Take the value from a multi-actor forecast (`detente run --from-forecast`)."""


class PartySpec(_Strict):
    id: Id
    name: Text
    discount: Num
    """Per-period discount factor δ, strictly between 0 and 1."""
    unreciprocated_cost: Num = 0.0
    """One-time cost of any stage in which only this party moves (face, audience costs)."""
    defection_penalty: Num = 0.0
    """Flow lost per period after this party is caught defecting."""
    bargaining_power: Num | None = None
    """Weight in the Nash product; set for all parties or none (then from discounts)."""
    note: Text = ""
    notes: dict[str, Text] = Field(default_factory=dict)
    """The reason for each number field set, keyed by the field's name."""
    sources: list[Text] = Field(default_factory=list)


class MoveSpec(_Strict):
    id: Id
    owner: Id
    """The party that performs (and can undo) the move."""
    label: Text
    """A short imperative phrase, used in sentences."""
    cost: Num = 0.0
    """Flow cost per period to the owner while the move is in effect."""
    value: dict[Id, Num] = Field(default_factory=dict)
    """Flow value per period to each party (the owner too) while in effect."""
    upfront_cost: Num = 0.0
    """One-time cost to the owner when performed."""
    reversible: bool = False
    """Whether the owner can undo it (snapback)."""
    reversal_cost: Num = 0.0
    """One-time cost of undoing it."""
    reversal_lag: Num = 0
    """Periods from the decision to undo it until it is undone (a whole number ≥ 0; 0: at
    once). Rebuilding a dismantled missile force takes years; reimposing a sanction a quarter."""
    verifiability: Num = 1.0
    """Per-period probability that covert non-compliance is detected."""
    verifiability_with: dict[Id, Num] = Field(default_factory=dict)
    """Higher verifiability while another move (e.g. inspections) is in effect."""
    requires: list[Id] = Field(default_factory=list)
    """Moves that must be in effect by the end of the stage that performs this one."""
    note: Text = ""
    notes: dict[str, Text] = Field(default_factory=dict)
    sources: list[Text] = Field(default_factory=list)


class ProposalSpec(_Strict):
    id: Id
    label: Text = ""
    by: Id | None = None
    stages: list[list[Id]]
    """The schedule: a list of stages, each a list of move ids."""
    note: Text = ""
    sources: list[Text] = Field(default_factory=list)


class SolverSpec(_Strict):
    max_stage_moves: Annotated[int, Field(ge=1, le=16)] = 2
    """At most this many moves of one party in one stage (the solver's search only)."""
    max_stages: Annotated[int, Field(ge=1, le=32)] = 8
    """At most this many stages in a schedule."""
    max_transitions: Annotated[int, Field(ge=1)] = 10_000_000
    """Refuse problems with more (state, stage) transitions than this."""


class TypeSpec(_Strict):
    """A possible type of a party (docs/model.md, "Types and beliefs"): a prior and parameter overrides."""

    party: Id
    id: Id
    prior: float
    label: Text = ""
    parameters: dict[ParamName, float] = Field(default_factory=dict)
    note: Text = ""
    sources: list[Text] = Field(default_factory=list)


class EventSpec(_Strict):
    """A dated observation and how likely each type of its actor was to produce it ('Types and beliefs' (docs/model.md))."""

    id: Id
    date: datetime.date
    actor: Id
    label: Text
    likelihood: dict[Id, float]
    source: Text
    cluster: Id | None = None
    """Related events share a cluster and count as one observation (docs/model.md, "Beliefs")."""
    note: Text = ""


class ClusterSpec(_Strict):
    """The likelihoods of a cluster of related events, counted as one observation."""

    id: Id
    actor: Id
    label: Text = ""
    likelihood: dict[Id, float]
    note: Text = ""
    sources: list[Text] = Field(default_factory=list)


class OutcomeSpec(_Strict):
    """One stage of the schedule as it happened (docs/model.md, "Validation")."""

    stage: Annotated[int, Field(ge=1, le=256)]
    """The stage's number in the schedule as it happened, from 1."""
    moves: list[Id] = Field(min_length=1)
    """The moves due at that stage (what was agreed or offered for it)."""
    status: Literal["taken", "refused", "quit"]
    """taken: every party did its part; refused: a party would not agree to the stage (an offer
    turned down); quit: a party went back on the stage or walked out of the deal there."""
    by: list[Id] = Field(default_factory=list)
    """refused or quit: the parties that did."""
    date: datetime.date
    covert_detected: datetime.date | None = None
    """The date covert non-compliance with this stage's moves was exposed, if it was."""
    source: Text
    note: Text = ""


class BargainingSpec(_Strict):
    """Which deal is struck (docs/model.md, "Which deal" and "Offers")."""

    protocol: Literal["nash", "offers"] = "nash"
    """"nash": the asymmetric Nash product; "offers": take-it-or-leave-it offers by a proposer
    that does not know the responder's type and learns from refusals."""
    proposer: Id | None = None
    """offers: the party that proposes (required under "offers")."""
    rounds: int | None = None
    """offers: meetings before the talks end without a deal (default 3)."""
    round_length: int | None = None
    """offers: periods between meetings (default 1)."""
    candidates: Literal["solver", "all", "proposals"] | None = None
    """offers: the offers considered (default "solver": the frontiers of schedules
    self-enforcing for each set of the responder's types)."""
    note: Text = ""
    sources: list[Text] = Field(default_factory=list)


class SignalSpec(_Strict):
    """A costly signal a party could send (docs/model.md, 'Signals', after Fearon 1997)."""

    id: Id
    sender: Id
    kind: Literal["sunk", "tied-hands"]
    label: Text = ""
    cost: dict[Id, Num]
    good_type: Id
    note: Text = ""
    sources: list[Text] = Field(default_factory=list)


class _Dist(_Strict):
    note: Text = ""
    source: Text = ""


class TriangularSpec(_Dist):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float


class UniformSpec(_Dist):
    dist: Literal["uniform"]
    low: float
    high: float


class BetaSpec(_Dist):
    """Beta(alpha, beta) stretched onto [low, high]."""

    dist: Literal["beta"]
    alpha: float
    beta: float
    low: float = 0.0
    high: float = 1.0


class LognormalSpec(_Dist):
    """exp(N(ln median, sigma²)): ``median`` is the distribution's median."""

    dist: Literal["lognormal"]
    median: float
    sigma: float


DistSpec = Annotated[
    TriangularSpec | UniformSpec | BetaSpec | LognormalSpec, Field(discriminator="dist")
]


class UncertaintySpec(BaseModel):
    """docs/model.md, "Summit versus working level": distributions for named parameters (any key that is not one of the
    fields below names a parameter), misperception and the talks' clock."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True, use_attribute_docstrings=True)
    __pydantic_extra__: dict[ParamName, DistSpec] = Field(init=False)

    misperception: float = 0.0
    """σ0: each party sees a parameter it does not own times exp(σ·ε), ε ~ N(0, 1)."""
    working_level_gain: float = 1.0
    """ρ: each working-level round multiplies σ by ρ (0 < ρ ≤ 1)."""
    summit_cooldown: Annotated[int, Field(ge=0, le=1000)] = 0
    """Periods after a failed summit before another may be held."""
    horizon: Annotated[int, Field(ge=1, le=1000)] = 12
    """T: the periods a history runs for."""
    summit_gain: float = 1.0
    """Each summit multiplies σ by this (0 < g ≤ 1; 1: a summit corrects no misreading)."""
    working_level_refusal: dict[ParamName, float] = Field(default_factory=dict)
    """By party: the probability that it refuses a working-level round (the round then costs
    its period and teaches nothing)."""
    working_level_cost: float | dict[ParamName, float] = 0.0
    """What a working-level round held costs each side, on its own scale (one number for every
    party, or a table by party)."""
    shock_hazard: float = 0.0
    """Per period, the probability that the talks end for reasons outside the model."""
    note: Text = ""
    notes: dict[str, Text] = Field(default_factory=dict)
    sources: list[Text] = Field(default_factory=list)


class ScenarioSpec(_Strict):
    """A whole scenario file, numbers unresolved."""

    scenario: ScenarioHeader
    parameters: dict[ParamName, Parameter] = Field(default_factory=dict)
    parties: list[PartySpec] = Field(min_length=2)
    moves: list[MoveSpec] = Field(min_length=1)
    proposals: list[ProposalSpec] = Field(default_factory=list)
    types: list[TypeSpec] = Field(default_factory=list)
    events: list[EventSpec] = Field(default_factory=list)
    clusters: list[ClusterSpec] = Field(default_factory=list)
    signals: list[SignalSpec] = Field(default_factory=list)
    uncertainty: UncertaintySpec | None = None
    solver: SolverSpec = Field(default_factory=SolverSpec)
    bargaining: BargainingSpec | None = None
    outcomes: list[OutcomeSpec] = Field(default_factory=list)
    """The schedule as it happened, one entry per stage (case files of the case bank)."""
    format: Literal[1] = 1
