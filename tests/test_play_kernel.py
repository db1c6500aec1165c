"""The compiled play of a schedule against the Python reference, bit for bit (docs/model.md,
"The play of a schedule" and "Deviations")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

import detente.solvers._play_kernel as kernel
from detente.model.game import Game, compile_game
from detente.model.play import Play, play, play_values
from detente.scenario import load_bytes
from oracle import all_schedules
from strategies import scenarios
from test_play import LAGGED

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _same(g: Game, stages: list[int], reference: Play) -> None:
    fast = kernel.play_values(g, stages)
    assert fast is not None
    np.testing.assert_array_equal(fast, reference.values)
    assert fast.tobytes() == reference.values.tobytes()  # the same bits, signed zeros too


@SETTINGS
@given(scenarios(max_free=5, max_parties=3, max_initial=3), st.randoms(use_true_random=False))
def test_every_schedule_plays_as_the_reference(scenario, rnd) -> None:  # type: ignore[no-untyped-def]
    """Every valid schedule (most are not self-enforcing: parties quit at a stage or at the
    final agreement), in a random order, and through the cached public entry point."""
    g = compile_game(scenario)
    schedules = list(all_schedules(g))
    rnd.shuffle(schedules)
    for stages in schedules[:400]:
        reference = play(g, stages)
        _same(g, stages, reference)
        assert play_values(g, stages).tobytes() == reference.values.tobytes()


@st.composite
def _arbitrary_schedule(draw: st.DrawFn, g: Game) -> list[int]:
    """Any partition of some free moves into stages: requirements and stage sizes ignored."""
    moves = draw(st.permutations(range(g.n_free)))
    count = draw(st.integers(0, g.n_free))
    stages: list[int] = []
    for m in moves[:count]:
        if not stages or draw(st.booleans()):
            stages.append(0)
        stages[-1] |= 1 << m
    return stages


@SETTINGS
@given(scenarios(max_free=6, max_parties=3, max_initial=3), st.data())
def test_arbitrary_schedules_play_as_the_reference(scenario, data) -> None:  # type: ignore[no-untyped-def]
    g = compile_game(scenario)
    for _ in range(10):
        stages = data.draw(_arbitrary_schedule(g))
        _same(g, stages, play(g, stages))


def _quits(where: str):  # type: ignore[no-untyped-def]
    """A scenario with a schedule whose play ends with quitters at a stage or at the end."""

    def found(scenario) -> bool:  # type: ignore[no-untyped-def]
        g = compile_game(scenario)
        for stages in all_schedules(g):
            pl = play(g, stages)
            if pl.ends_at is not None and (pl.ends_at == len(stages) + 1) == (where == "end"):
                return True
        return False

    return find(scenarios(max_free=3), found, settings=settings(database=None, max_examples=2000))


@pytest.mark.parametrize("where", ["stage", "end"])
def test_quitters_at_a_stage_and_at_the_final_agreement(where: str) -> None:
    g = compile_game(_quits(where))
    seen = 0
    for stages in all_schedules(g):
        pl = play(g, stages)
        seen += pl.ends_at is not None and (pl.ends_at == len(stages) + 1) == (where == "end")
        _same(g, stages, pl)
    assert seen


def test_the_worked_quitters() -> None:
    """b quits at stage 1 where a1's reversal is too slow (test_play)."""
    g = compile_game(load_bytes(LAGGED, "lag.toml"))
    stages = [g.mask(["a1", "b1", "b2"])]
    pl = play(g, stages)
    assert pl.ends_at == 1 and pl.quitters == (1,)
    _same(g, stages, pl)


def test_a_game_too_large_for_the_kernel_is_played_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernel, "MAX_MOVES", 0)
    g = compile_game(load_bytes(LAGGED, "lag.toml"))
    stages = [g.mask(["a1", "b1", "b2"])]
    assert kernel.play_values(g, stages) is None
    assert play_values(g, stages).tobytes() == play(g, stages).values.tobytes()
