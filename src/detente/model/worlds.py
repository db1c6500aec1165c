"""Worlds of type profiles: the game when every party's type is known (docs/model.md, "Types").

A profile picks one type per party with types. Under private values (the Nash protocol) a
type's overrides change only its own party's numbers: the profile's world takes each party's
flows, discount, one-time and reversal costs, penalty and lags from its own type's world.
Under interdependent values (the offers protocol) the profile's world is the scenario resolved
with every chosen type's overrides at once, so a type may change what the other side gets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from itertools import product

from detente.errors import ScenarioError
from detente.model.agents import Beliefs, prior_beliefs, type_scenario
from detente.model.game import Game, compile_game
from detente.scenario.model import PartyType, Scenario
from detente.scenario.resolve import resolve


@dataclass(frozen=True, eq=False)
class World:
    types: dict[str, str]  # party -> type, for the parties with types
    probability: float  # the product of the beliefs in each chosen type
    game: Game


def profile_worlds(scenario: Scenario, beliefs: Beliefs | None = None, interdependent: bool = False) -> list[World]:
    """Every profile of types (parties in file order, types in file order) and its world."""
    beliefs = prior_beliefs(scenario) if beliefs is None else beliefs
    base = compile_game(scenario)
    choices: list[list[PartyType | None]] = []
    for party in scenario.parties:
        types = list(scenario.types_of(party.id))
        choices.append(list(types) if types else [None])
    out = []
    for combo in product(*choices):
        chosen = [t for t in combo if t is not None]
        prob = 1.0
        for t in chosen:
            prob *= float(beliefs.get(t.party, {}).get(t.id, 0.0))
        game = joint_world(scenario, chosen) if interdependent else _private_world(scenario, base, combo)
        out.append(World({t.party: t.id for t in chosen}, prob, game))
    return out


def joint_world(scenario: Scenario, chosen: list[PartyType]) -> Game:
    """The scenario resolved with every chosen type's overrides (interdependent values)."""
    if scenario.spec is None:
        raise ValueError("joint_world needs a scenario loaded from a file (with its spec)")
    overrides: dict[str, float] = dict(scenario.parameters)
    owner: dict[str, str] = {}
    for t in chosen:
        for name, value in t.overrides.items():
            if name in owner and owner[name] != t.party:
                raise ScenarioError(
                    scenario.origin,
                    f"types[{t.party}.{t.id}].parameters.{name}",
                    f"is also set by a type of {owner[name]!r}: under interdependent values one "
                    "parameter cannot belong to the types of two parties",
                )
            owner[name] = t.party
            overrides[name] = value
    names = ", ".join(f"{t.party}.{t.id}" for t in chosen) or "no types"
    try:
        return compile_game(resolve(scenario.spec, scenario.origin, overrides))
    except ScenarioError as exc:
        raise ScenarioError(
            scenario.origin, "types", f"under the types {names} together, {exc.key}: {exc.reason}"
        ) from None


def _private_world(scenario: Scenario, base: Game, combo: tuple[PartyType | None, ...]) -> Game:
    """Each party's own numbers from its type's world (private values)."""
    flow = base.flow.copy()
    delta = base.delta.copy()
    unrec = base.unreciprocated.copy()
    penalty = base.penalty.copy()
    upfront = base.upfront.copy()
    rc = base.reversal_cost.copy()
    lag = base.lag.copy()
    for p, t in enumerate(combo):
        if t is None:
            continue
        g = compile_game(type_scenario(scenario, t))
        flow[:, p] = g.flow[:, p]
        delta[p] = g.delta[p]
        unrec[p] = g.unreciprocated[p]
        penalty[p] = g.penalty[p]
        mine = g.owner == p
        upfront[mine] = g.upfront[mine]
        rc[mine] = g.reversal_cost[mine]
        lag[mine] = g.lag[mine]
    return replace(
        base, flow=flow, delta=delta, unreciprocated=unrec, penalty=penalty, upfront=upfront, reversal_cost=rc, lag=lag
    )


def types_text(types: Mapping[str, str]) -> str:
    return ", ".join(f"{p} {t}" for p, t in types.items()) or "no types"
