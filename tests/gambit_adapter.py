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


def _pure_profile(efg: str, play: dict[tuple[str, ...], str]) -> gbt.MixedBehaviorProfile:
    """A behaviour profile of ``efg`` that plays, at the information set of the node reached by
    each path of action labels from the root in ``play``, that path's action with probability
    1. Every information set must be covered (else pygambit would keep its uniform default)."""
    game = gbt.read_efg(io.StringIO(efg))
    profile = game.mixed_behavior_profile(rational=False)
    chosen: dict[object, str] = {}
    for path, action in play.items():
        infoset = profile[gbt.H.path(*path)].history  # the information set's canonical history
        if chosen.setdefault(infoset, action) != action:
            raise ValueError(f"two actions for one information set: {chosen[infoset]!r} and {action!r} at {path}")
        profile.set_mixed_action(gbt.H.path(*path), {a: 0 for a in _actions(profile, path)} | {action: 1})
    for player in game.players:
        for _, probs in profile[str(player)]:
            weights = sorted(p for _, p in probs)
            if weights[-1] != 1 or any(p != 0 for p in weights[:-1]):
                raise ValueError(f"an information set of {player} is not set to a pure action")
    return profile


def _actions(profile: gbt.MixedBehaviorProfile, path: tuple[str, ...]) -> list[str]:
    return [a for a, _ in profile[gbt.H.path(*path)]]


def pure_agent_regret(efg: str, play: dict[tuple[str, ...], str]) -> float:
    """``agent_max_regret()`` of the pure behaviour profile ``play`` (see ``_pure_profile``).

    In pygambit 17.0.0b2 a reached information set's regret is conditional on reaching it, but
    one reached with probability 0 has no action values and regret 0: this checks the agent
    form's Nash conditions, not sequential rationality off the path."""
    return float(_pure_profile(efg, play).agent_max_regret())


def pure_profile_beliefs(efg: str, play: dict[tuple[str, ...], str]) -> dict[tuple[str, ...], float]:
    """Gambit's belief at every node whose information set ``play`` reaches with positive
    probability (Bayes' rule), keyed by the node's path of action labels from the root."""
    beliefs = _pure_profile(efg, play).beliefs
    return {history.actions: float(b) for history, b in beliefs if b is not None}
