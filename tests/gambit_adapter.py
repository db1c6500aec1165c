"""Every call into pygambit, in one place (its API changes between 16.x and 17.x).

Games go in as Gambit's .efg text, which both versions read; equilibria come out as plain
dicts: player -> the action played (with probability 1) at each of its information sets, in
the order of their numbers in the .efg.
"""

from __future__ import annotations

import io

import pygambit as gbt


def pure_agent_equilibria(efg: str) -> list[dict[str, list[str]]]:
    """The pure-strategy equilibria of the agent form: no single information set gains by
    deviating (for a signalling game, the perfect Bayesian equilibria in pure strategies)."""
    game = gbt.read_efg(io.StringIO(efg))
    out = []
    for eq in gbt.nash.enumpure_agent_solve(game).equilibria:
        profile: dict[str, list[str]] = {}
        for player in game.players:
            chosen = []
            for _, probs in eq[str(player)]:
                chosen.append(next(str(a) for a, p in probs if p == 1))
            profile[str(player)] = chosen
        out.append(profile)
    return out
