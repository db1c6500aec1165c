"""Resolved scenarios: every expression evaluated, every reference checked (MODEL.md section 2).

Plain frozen dataclasses, so the maths never sees an expression or a pydantic model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from detente.scenario.schema import ScenarioSpec, SolverSpec


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
class Scenario:
    """A scenario ready for the maths: numbers only, ids checked."""

    id: str
    title: str
    parties: tuple[Party, ...]
    moves: tuple[Move, ...]
    initial: tuple[str, ...] = ()
    proposals: tuple[Proposal, ...] = ()
    parameters: dict[str, float] = field(default_factory=dict)
    solver: SolverSpec = field(default_factory=SolverSpec)
    period: str = "period"
    sources: tuple[str, ...] = ()
    origin: str = "<memory>"
    content_hash: str = ""
    spec: ScenarioSpec | None = field(default=None, compare=False, repr=False)

    def party(self, party_id: str) -> Party:
        return next(p for p in self.parties if p.id == party_id)

    def move(self, move_id: str) -> Move:
        return next(m for m in self.moves if m.id == move_id)

    def proposal(self, proposal_id: str) -> Proposal:
        return next(p for p in self.proposals if p.id == proposal_id)
