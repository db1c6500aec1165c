"""The scenario file format (MODEL.md section 2) as pydantic models.

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
    "verifiability",
    "verifiability_with",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ScenarioHeader(_Strict):
    id: Id
    title: Text
    period: Text = "period"
    initial: list[Id] = Field(default_factory=list)
    sources: list[Text] = Field(default_factory=list)
    description: Text = ""
    note: Text = ""


class Parameter(_Strict):
    value: float
    note: Text = ""
    source: Text = ""
    owner: Id | None = None


class PartySpec(_Strict):
    id: Id
    name: Text
    discount: Num
    unreciprocated_cost: Num = 0.0
    defection_penalty: Num = 0.0
    bargaining_power: Num | None = None
    note: Text = ""
    notes: dict[str, Text] = Field(default_factory=dict)
    sources: list[Text] = Field(default_factory=list)


class MoveSpec(_Strict):
    id: Id
    owner: Id
    label: Text
    cost: Num = 0.0
    value: dict[Id, Num] = Field(default_factory=dict)
    upfront_cost: Num = 0.0
    reversible: bool = False
    reversal_cost: Num = 0.0
    verifiability: Num = 1.0
    verifiability_with: dict[Id, Num] = Field(default_factory=dict)
    requires: list[Id] = Field(default_factory=list)
    note: Text = ""
    notes: dict[str, Text] = Field(default_factory=dict)
    sources: list[Text] = Field(default_factory=list)


class ProposalSpec(_Strict):
    id: Id
    label: Text = ""
    by: Id | None = None
    stages: list[list[Id]]
    note: Text = ""
    sources: list[Text] = Field(default_factory=list)


class SolverSpec(_Strict):
    max_stage_moves: Annotated[int, Field(ge=1, le=16)] = 2
    max_stages: Annotated[int, Field(ge=1, le=32)] = 8
    max_transitions: Annotated[int, Field(ge=1)] = 10_000_000


class TypeSpec(_Strict):
    """A possible type of a party (MODEL.md section 9): a prior and parameter overrides."""

    party: Id
    id: Id
    prior: float
    label: Text = ""
    parameters: dict[ParamName, float] = Field(default_factory=dict)
    note: Text = ""
    sources: list[Text] = Field(default_factory=list)


class EventSpec(_Strict):
    """A dated observation and how likely each type of its actor was to produce it (section 9)."""

    id: Id
    date: datetime.date
    actor: Id
    label: Text
    likelihood: dict[Id, float]
    source: Text
    note: Text = ""


class SignalSpec(_Strict):
    """A costly signal a party could send (section 10, after Fearon 1997)."""

    id: Id
    sender: Id
    kind: Literal["sunk", "tied-hands"]
    label: Text = ""
    cost: dict[Id, Num]
    good_type: Id
    note: Text = ""
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
    signals: list[SignalSpec] = Field(default_factory=list)
    solver: SolverSpec = Field(default_factory=SolverSpec)
    format: Literal[1] = 1
