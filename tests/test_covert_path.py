"""The audit's covert path check against the direct recursion, stage by stage."""

from __future__ import annotations

from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.analysis.audit import MAX_AUDIT_STAGES, audit_schedule
from detente.errors import ScheduleError
from detente.model.game import bits, compile_game
from detente.model.payoffs import flow_utility, one_time_cost, schedule_values, states_of
from detente.model.stability import (
    cheat_gain,
    covert_value,
    detection_probability,
    punishment,
    verifiability_in,
)
from oracle import all_schedules
from strategies import scenarios


def direct(g, stages, p, k):  # type: ignore[no-untyped-def]
    """The least slack over every cheat set at stage k, each recursed from the end to k."""
    states = states_of(g, stages)
    values = schedule_values(g, stages)
    s_k = states[k]
    hidden = sorted(
        m
        for m in bits(s_k & g.owned(p))
        if verifiability_in(g, m, s_k) < 1.0 and (g.reversible[m] or (stages[k - 1] >> m) & 1)
    )
    best = None
    d = float(g.delta[p])
    for size in range(1, min(6, len(hidden)) + 1):
        for combo in combinations(hidden, size):
            cheat = sum(1 << m for m in combo)
            x = covert_value(g, states[-1], cheat, p)
            for j in range(len(stages), k - 1, -1):
                q = detection_probability(g, states[j], cheat)
                pun = punishment(g, states[j], cheat, p)
                a = flow_utility(g, states[j], p) - one_time_cost(g, stages[j - 1], p)
                x = a + cheat_gain(g, cheat, p) + d * (q * pun + (1.0 - q) * x)
            x += sum(float(g.upfront[m]) for m in combo if (stages[k - 1] >> m) & 1)
            slack = float(values[k - 1, p]) - x
            if best is None or slack < best:
                best = slack
    return best


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(max_free=5), st.data())
def test_covert_path_equals_the_direct_recursion(scenario, data) -> None:  # type: ignore[no-untyped-def]
    g = compile_game(scenario)
    schedules = list(all_schedules(g))
    if not schedules:
        return
    stages = data.draw(st.sampled_from(schedules))
    report = audit_schedule(scenario, [g.ids(s) for s in stages], game=g)
    got = {(c.stage, c.party): c.slack for c in report.covert_path}
    for k in range(1, len(stages) + 1):
        for p in range(g.n_parties):
            want = direct(g, stages, p, k)
            key = (k, g.party_ids[p])
            if want is None:
                assert key not in got
            else:
                assert got[key] == pytest.approx(want, abs=1e-9)


def test_too_many_stages_are_refused_in_one_line() -> None:
    from detente.scenario import load_bytes

    moves = "".join(
        f'[[moves]]\nid = "m{i}"\nowner = "{"a" if i % 2 else "b"}"\nlabel = "m{i}"\n' for i in range(MAX_AUDIT_STAGES + 1)
    )
    text = (
        '[scenario]\nid = "long"\ntitle = "long"\n[[parties]]\nid = "a"\nname = "A"\ndiscount = 0.9\n'
        '[[parties]]\nid = "b"\nname = "B"\ndiscount = 0.9\n' + moves
    )
    sc = load_bytes(text.encode(), "long.toml")
    with pytest.raises(ScheduleError) as exc:
        audit_schedule(sc, [[f"m{i}"] for i in range(MAX_AUDIT_STAGES + 1)])
    assert f"at most {MAX_AUDIT_STAGES} stages" in str(exc.value) and "\n" not in str(exc.value)
