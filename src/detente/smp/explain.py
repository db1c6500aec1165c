"""Why each actor moved: KTAB's users asked for it, and its log only lists the
challenges. For each actor, its largest move and the bargain it took, in words."""

from __future__ import annotations

import math

from detente.results import ActorMove, ForecastResult


def _pct(x: list[float]) -> str:
    return ", ".join(f"{100 * v:.1f}" for v in x)


def why_they_moved(r: ForecastResult) -> list[ActorMove]:
    out = []
    for a, name in enumerate(r.actors):
        best_turn, best_dist = -1, 0.0
        for t in range(r.turns_run):
            d = math.dist(r.positions[t][a], r.positions[t + 1][a])
            if d > best_dist + 1e-12:
                best_turn, best_dist = t, d
        start, final = r.positions[0][a], r.positions[-1][a]
        total = math.dist(start, final)
        if best_turn < 0:
            out.append(
                ActorMove(
                    actor=name, turn=None, moved=0.0, total=0.0,
                    sentence=f"{name} never moved: no bargain it made or was offered beat its status quo in its queue's election.",
                )
            )
            continue
        turn = r.turns[best_turn]
        choice = next(c for c in turn.choices if c.actor == a)
        before, after = r.positions[best_turn][a], r.positions[best_turn + 1][a]
        chosen = choice.chosen
        ch = next(
            c for c in turn.challenges
            if c.initiator == chosen and (c.target == a or c.initiator == a)
        )
        q = choice.probabilities[choice.items.index(chosen)]
        if ch.initiator == a:
            how = (
                f"it challenged {ch.target_name}, expecting to prevail with probability "
                f"{ch.probability:.2f} (expected gain {ch.gain:.3f}), and the bargain moved it"
            )
        else:
            how = (
                f"{ch.initiator_name} challenged it, expecting to prevail with probability "
                f"{ch.probability:.2f} (expected gain {ch.gain:.3f}), and it took that bargain"
            )
        out.append(
            ActorMove(
                actor=name,
                turn=best_turn + 1,
                moved=100 * best_dist,
                total=100 * total,
                sentence=(
                    f"{name} moved most in turn {best_turn + 1}, from ({_pct(before)}) to "
                    f"({_pct(after)}): {how} (its queue's election gave that bargain {q:.2f})."
                ),
            )
        )
    return out


__all__ = ["why_they_moved"]
