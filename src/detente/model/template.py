"""A scenario's game for other parameter values, rebuilt from the parts that depend on them.

A simulation builds a game for every reading of the parameters (docs/model.md, "Summit versus
working level"); between two readings only the parties and moves with a number given as an
expression change, so only those are resolved again, with the checks of ``resolve``, and only
their rows of the game are filled again, by the code of ``compile_game``. A reading that breaks
a check is resolved whole, which raises the error ``resolve`` always raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from detente.model.game import Game, compile_game, with_numbers
from detente.scenario.model import Party, Scenario
from detente.scenario.resolve import expression_parts, resolve, resolve_parts
from detente.scenario.schema import ScenarioSpec


@dataclass(frozen=True, eq=False)
class GameTemplate:
    """What every reading of one scenario shares: its spec, the game at its own parameters, and
    which parties and moves (indices in the spec) hold an expression."""

    spec: ScenarioSpec
    origin: str
    domains: Mapping[str, tuple[float, float]]
    parties: tuple[int, ...]
    moves: tuple[int, ...]
    base_parties: tuple[Party, ...]
    base: Game


def template_of(scenario: Scenario) -> GameTemplate:
    """The template of a scenario resolved from its spec (``scenario.spec`` must be set)."""
    spec = scenario.spec
    assert spec is not None
    resolved = resolve(spec, scenario.origin, scenario.parameters, game_only=True)
    parties, moves = expression_parts(spec)
    return GameTemplate(spec, scenario.origin, resolved.domains, parties, moves, resolved.parties, compile_game(resolved))


def game_for(t: GameTemplate, params: Mapping[str, float]) -> Game:
    """``compile_game(resolve(spec, origin, params, game_only=True))``, array for array, with
    the same error when a number of ``params`` breaks a check."""
    parts = resolve_parts(t.spec, t.origin, params, t.parties, t.moves, t.domains)
    if parts is None:
        return compile_game(resolve(t.spec, t.origin, params, game_only=True))
    new_parties, new_moves = parts
    if not t.parties:
        return with_numbers(t.base, new_moves, None)
    parties = list(t.base_parties)
    for i, p in zip(t.parties, new_parties, strict=True):
        parties[i] = p
    return with_numbers(t.base, new_moves, parties)


__all__ = ["GameTemplate", "game_for", "template_of"]
