"""The play of a schedule when anyone may quit (docs/model.md, "The play of a schedule")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.analysis.audit import audit_schedule
from detente.model.deviation import overt_deviation
from detente.model.game import compile_game
from detente.model.payoffs import schedule_values, states_of
from detente.model.play import play, play_values
from detente.model.stability import overt_final
from detente.scenario import load_bytes
from oracle import all_schedules
from strategies import scenarios
from test_worked_example import WORKED

LAGGED = WORKED.replace(b"reversal_cost = 0.5\n", b"reversal_cost = 0.5\nreversal_lag = 2\n")


def test_a_party_quits_where_its_threat_is_too_slow() -> None:
    """[[a1, b1, b2]] with a1's reversal lag 2: b quits at stage 1 (3.32 against −1).

    b gets its deviation, 3.32. a performed a1 alone: it pays its unreciprocated cost 0.5 and
    a1's cost for 1 + 2 periods (its snapback, decided in period 2, takes effect in period 4),
    a_a(3) = (1 − 0.9³)/0.1 = 2.71, and the reversal cost 0.5 a period later:
    −2.71 − 0.5 − 0.9·0.5 = −3.66."""
    g = compile_game(load_bytes(LAGGED, "lag.toml"))
    pl = play(g, [g.mask(["a1", "b1", "b2"])])
    assert pl.ends_at == 1 and pl.quitters == (1,)
    assert pl.values[1] == pytest.approx(3.32)
    assert pl.values[0] == pytest.approx(-3.66)


def test_a_self_enforcing_schedule_is_kept() -> None:
    g = compile_game(load_bytes(WORKED, "worked.toml"))
    stages = [g.mask(["a1"]), g.mask(["b2"]), g.mask(["b1"])]
    pl = play(g, stages)
    assert pl.complied and pl.quitters == ()
    np.testing.assert_allclose(pl.values, [35.4, 3.8])


def test_the_audit_reports_the_play() -> None:
    report = audit_schedule(load_bytes(LAGGED, "lag.toml"), [["a1", "b1", "b2"]])
    assert report.play.ends_at == 1
    assert report.play.quitters == ["b"]
    assert report.play.values == pytest.approx({"a": -3.66, "b": 3.32})
    assert report.play.sentence.startswith("B (holding back")
    assert "quits at stage 1" in report.play.sentence
    kept = audit_schedule(load_bytes(WORKED, "worked.toml"), [["a1"], ["b2"], ["b1"]])
    assert kept.play.ends_at is None and kept.play.sentence.startswith("Nobody quits")


def test_two_parties_quitting_at_once_keep_each_others_moves_out() -> None:
    """Both would quit a one-stage swap of costly moves: each quitter's deviation is valued with
    the other's moves absent too, so nobody gets anything but its penalty."""
    text = b"""
[scenario]
id = "both"
title = "both quit"
[[parties]]
id = "a"
name = "A"
discount = 0.5
defection_penalty = 1
[[parties]]
id = "b"
name = "B"
discount = 0.5
defection_penalty = 2
[[moves]]
id = "a1"
owner = "a"
label = "a1"
cost = 3
value = { b = 1 }
[[moves]]
id = "b1"
owner = "b"
label = "b1"
cost = 3
value = { a = 1 }
"""
    g = compile_game(load_bytes(text, "both.toml"))
    pl = play(g, [g.mask(["a1", "b1"])])
    assert pl.ends_at == 1 and pl.quitters == (0, 1)
    # each gets −δ·penalty/(1 − δ): nothing happens, and it is a defector
    np.testing.assert_allclose(pl.values, [-1.0, -2.0])


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios(max_free=4, max_parties=3), st.data())
def test_kept_exactly_when_every_stage_is_ic_and_the_end_holds_overtly(scenario, data) -> None:  # type: ignore[no-untyped-def]
    """Backward induction: nobody quits iff every stage is IC and nobody would reverse at the end;
    then every party gets V_p(1)."""
    g = compile_game(scenario)
    schedules = list(all_schedules(g))
    if not schedules:
        return
    stages = data.draw(st.sampled_from(schedules))
    states = states_of(g, stages)
    values = schedule_values(g, stages)
    ic = True
    for k, stage in enumerate(stages):
        for p in range(g.n_parties):
            dev = overt_deviation(g, states[k], stage, p)
            if dev is not None and values[k, p] < dev.value - 1e-9:
                ic = False
    end = all(overt_final(g, states[-1], p).holds for p in range(g.n_parties))
    pl = play(g, stages)
    assert pl.complied == (ic and end)
    if pl.complied:
        np.testing.assert_allclose(pl.values, values[0], rtol=0, atol=1e-9)
    else:
        assert pl.ends_at is not None and pl.quitters
        step = pl.steps[pl.ends_at - 1]
        for p in pl.quitters:  # every quitter strictly prefers its deviation
            assert step.comply[p] < step.deviate[p] - 1e-9


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=4, max_parties=3), st.randoms(use_true_random=False))
def test_play_values_are_the_plays_values_bit_for_bit(scenario, rnd) -> None:  # type: ignore[no-untyped-def]
    """The values alone, with the backward induction shared between schedules that end alike
    (in any order), are exactly W(1) of the full play."""
    g = compile_game(scenario)
    schedules = list(all_schedules(g))
    rnd.shuffle(schedules)
    fresh = compile_game(scenario)
    for stages in schedules:
        assert play_values(g, stages).tolist() == play(fresh, stages).values.tolist()
