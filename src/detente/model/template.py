"""A scenario's game for other parameter values, rebuilt from the parts that depend on them.

A simulation builds a game for every reading of the parameters (docs/model.md, "Summit versus
working level"); between two readings only the parties and moves with a number given as an
expression change, so only those are resolved again, with the checks of ``resolve``, and only
their rows of the game are filled again, by the code of ``compile_game``. A reading that breaks
a check is resolved whole, which raises the error ``resolve`` always raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from detente.model.game import Game, compile_game, with_numbers
from detente.scenario.model import Move, Party, Scenario
from detente.scenario.resolve import expression_names, expression_parts, resolve, resolve_parts
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
    reads: tuple[tuple[str, ...], ...]  # the parameters each of those parties, then moves, reads
    defaults: Mapping[str, float]  # the spec's own parameter values
    # the parts already resolved, by (their place in parties + moves, the values they read): a
    # part is a function of those values alone
    resolved: dict[tuple[int, tuple[str, ...]], Party | Move] = field(default_factory=dict)


def template_of(scenario: Scenario) -> GameTemplate:
    """The template of a scenario resolved from its spec (``scenario.spec`` must be set)."""
    spec = scenario.spec
    assert spec is not None
    resolved = resolve(spec, scenario.origin, scenario.parameters, game_only=True)
    parties, moves = expression_parts(spec)
    return GameTemplate(
        spec, scenario.origin, resolved.domains, parties, moves, resolved.parties, compile_game(resolved),
        expression_names(spec, parties, moves), {name: p.value for name, p in spec.parameters.items()},
    )


MEMO = 4096  # parts kept resolved per template


def game_for(t: GameTemplate, params: Mapping[str, float]) -> Game:
    """``compile_game(resolve(spec, origin, params, game_only=True))``, array for array, with
    the same error when a number of ``params`` breaks a check."""
    n_parties = len(t.parties)
    if len(t.resolved) >= MEMO:
        t.resolved.clear()
    keys = [  # by the values' bits: a part resolved with 0.0 is not the part for −0.0
        (k, tuple((float(params[name]) if name in params else t.defaults[name]).hex() for name in names))
        for k, names in enumerate(t.reads)
    ]
    missing = [k for k, key in enumerate(keys) if key not in t.resolved]
    # resolved again: the parts not kept, with the checks of every override
    parts = resolve_parts(
        t.spec, t.origin, params, [t.parties[k] for k in missing if k < n_parties],
        [t.moves[k - n_parties] for k in missing if k >= n_parties], t.domains,
    )
    if parts is None:
        return compile_game(resolve(t.spec, t.origin, params, game_only=True))
    for k, part in zip(missing, parts[0] + parts[1], strict=True):
        t.resolved[keys[k]] = part
    found = [t.resolved[key] for key in keys]
    new_moves = [m for m in found[n_parties:] if isinstance(m, Move)]
    if not n_parties:
        return with_numbers(t.base, new_moves, None)
    parties = list(t.base_parties)
    for i, p in zip(t.parties, found[:n_parties], strict=True):
        assert isinstance(p, Party)
        parties[i] = p
    return with_numbers(t.base, new_moves, parties)


__all__ = ["GameTemplate", "game_for", "template_of"]
