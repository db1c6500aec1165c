"""Agents: one per (party, type), each with the game its type plays (docs/model.md, "Types and beliefs").

A type's ``parameters`` override the scenario's when that type holds. An agent's payoffs,
discount, costs and reversal decisions are its party's in the scenario resolved with those
overrides; the other parties' numbers stay at the scenario's values ("private values":
docs/model.md, "Types"). A party without types is one agent of probability 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from detente.errors import ScenarioError
from detente.model.game import Game, compile_game
from detente.scenario.model import PartyType, Scenario
from detente.scenario.resolve import resolve

Beliefs = Mapping[str, Mapping[str, float]]  # party -> type -> probability


@dataclass(frozen=True, eq=False)
class Agent:
    party: str
    party_index: int
    type: str | None  # None: the party has no types
    probability: float
    game: Game  # the scenario as this type sees it; the agent is party ``party_index`` in it


def prior_beliefs(scenario: Scenario) -> dict[str, dict[str, float]]:
    """The types' priors, parties in file order (as the posteriors are)."""
    out: dict[str, dict[str, float]] = {}
    for party in scenario.parties:
        for t in scenario.types_of(party.id):
            out.setdefault(t.party, {})[t.id] = t.prior
    return out


def type_scenario(scenario: Scenario, t: PartyType) -> Scenario:
    """The scenario when type ``t`` holds: its overrides on top of the current parameters."""
    if scenario.spec is None:
        raise ValueError("type_scenario needs a scenario loaded from a file (with its spec)")
    try:
        return resolve(scenario.spec, scenario.origin, {**scenario.parameters, **t.overrides})
    except ScenarioError as exc:
        raise ScenarioError(
            scenario.origin, f"types[{t.party}.{t.id}].parameters", f"under this type, {exc.key}: {exc.reason}"
        ) from None


def agents(scenario: Scenario, beliefs: Beliefs | None = None) -> list[Agent]:
    """The agents of a scenario, party by party in file order, types in file order."""
    beliefs = prior_beliefs(scenario) if beliefs is None else beliefs
    base = compile_game(scenario)
    out: list[Agent] = []
    for p, party in enumerate(scenario.parties):
        types = [t for t in scenario.types if t.party == party.id]
        if not types:
            out.append(Agent(party.id, p, None, 1.0, base))
            continue
        probs = beliefs.get(party.id, {})
        for t in types:
            g = compile_game(type_scenario(scenario, t))
            _same_structure(scenario, base, g, t)
            out.append(Agent(party.id, p, t.id, float(probs.get(t.id, 0.0)), g))
    return out


def _same_structure(scenario: Scenario, base: Game, g: Game, t: PartyType) -> None:
    """Types change payoffs, not what the moves are or how well they can be verified."""
    checks = {
        "verifiability": (base.verifiability, g.verifiability),
        "verifiability_with": (base.verifiability_with, g.verifiability_with),
    }
    for name, (a, b) in checks.items():
        if not np.array_equal(a, b):
            raise ScenarioError(
                scenario.origin,
                f"types[{t.party}.{t.id}].parameters",
                f"changes a move's {name}: types may change payoffs, costs and discounts only",
            )
