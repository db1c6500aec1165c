"""A simulation's games from the template (only the parts with expressions resolved again) equal
the games resolved and compiled whole, array for array; a reading that breaks a check raises
the very error of ``resolve`` (docs/model.md, "Summit versus working level")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import detente
from detente.errors import ScenarioError
from detente.model import template
from detente.model.game import Game, compile_game
from detente.model.template import game_for, template_of
from detente.scenario import load_bytes
from detente.scenario.model import Scenario
from detente.scenario.resolve import resolve

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# every kind of number as an expression: flows, costs, lags, probabilities, discounts, powers
EVERYWHERE = """
[scenario]
id = "everywhere"
title = "every number an expression"
initial = ["m4"]

[parameters]
a = { value = 0.9, min = 0.5, max = 0.99 }
b = { value = 1.0 }
c = { value = 0.5, min = 0, max = 1 }
lag = { value = 2, min = 0 }

[[parties]]
id = "x"
name = "X"
discount = "a"
unreciprocated_cost = "b / 2"
defection_penalty = "max(b, 0)"
bargaining_power = "1 + c"

[[parties]]
id = "y"
name = "Y"
discount = 0.8
unreciprocated_cost = "c"
bargaining_power = 1.0

[[moves]]
id = "m1"
owner = "x"
label = "m1"
cost = "b"
value = { y = "2 * b + c", x = "c" }
upfront_cost = "c * 3"
reversible = true
reversal_cost = "b"
reversal_lag = "lag"
verifiability = "c"
verifiability_with = { m3 = "min(1, c + 0.3)" }

[[moves]]
id = "m2"
owner = "y"
label = "m2"
cost = 1.0
value = { x = 2.0 }
requires = ["m1"]

[[moves]]
id = "m3"
owner = "y"
label = "m3"
cost = "c"
value = { x = "b * b" }
reversible = true

[[moves]]
id = "m4"
owner = "x"
label = "m4"
cost = 0.2
value = { y = "1 - c" }
"""


def _same(a: Game, b: Game) -> None:
    for f in dataclasses.fields(Game):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, f.name
            np.testing.assert_array_equal(x, y, err_msg=f.name, strict=True)
            assert np.array_equal(np.signbit(x), np.signbit(y)) if x.dtype.kind == "f" else True, f.name
        else:
            assert x == y, f.name


def _plain(sc: Scenario, params: dict[str, float]) -> Game:
    assert sc.spec is not None
    return compile_game(resolve(sc.spec, sc.origin, params, game_only=True))


def _either(sc: Scenario, params: dict[str, float], fast: bool) -> Game | tuple[str, str, list[tuple[str, str]]]:
    try:
        return game_for(TEMPLATES[sc.id], params) if fast else _plain(sc, params)
    except ScenarioError as exc:
        return (exc.key, exc.reason, exc.problems)


def _readings(sc: Scenario, wide: bool) -> st.SearchStrategy[dict[str, float]]:
    """Every parameter, within its domain (or, ``wide``, anywhere, which may break a check)."""
    def one(name: str) -> st.SearchStrategy[float]:
        lo, hi = sc.domains.get(name, (-np.inf, np.inf))
        if wide:
            return st.floats(-5.0, 12.0)
        if name == "lag":  # a number of periods
            return st.integers(0, 5).map(float)
        return st.floats(max(lo, -5.0), min(hi, 12.0))
    return st.fixed_dictionaries({name: one(name) for name in sorted(sc.parameters)})


LIBRARY = detente.load("hanoi-2019")
EVERY = load_bytes(EVERYWHERE.encode(), "everywhere.toml")
# one template each for every example, as a simulation keeps one: parts resolved for one
# reading are taken again for the next that reads the same values
TEMPLATES = {sc.id: template_of(sc) for sc in (LIBRARY, EVERY)}


@pytest.mark.parametrize("sc", [LIBRARY, EVERY], ids=["hanoi-2019", "everywhere"])
def test_the_template_at_the_scenarios_own_numbers_is_its_game(sc: Scenario) -> None:
    _same(game_for(template_of(sc), dict(sc.parameters)), compile_game(sc))


@SETTINGS
@given(st.data(), st.sampled_from([LIBRARY, EVERY]), st.booleans())
def test_the_template_gives_the_game_resolved_whole_or_its_error(data: st.DataObject, sc: Scenario, wide: bool) -> None:
    """For any reading, the same game bit for bit, or the same error (key, reason, every problem)."""
    params = data.draw(_readings(sc, wide))
    fast, plain = _either(sc, params, True), _either(sc, params, False)
    if isinstance(plain, Game):
        assert isinstance(fast, Game)
        _same(fast, plain)
    else:
        assert fast == plain


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"a": 1.5}, "overrides.a"),  # outside the parameter's domain
        ({"b": -1.0}, "parties[x].unreciprocated_cost"),  # a cost below zero
        ({"lag": 1.5}, "moves[m1].reversal_lag"),  # not a whole number of periods
        ({"c": 0.0, "b": -3.0}, "parties[x].unreciprocated_cost"),  # several problems at once
    ],
)
def test_a_reading_that_breaks_a_check_raises_resolves_error(params: dict[str, float], key: str) -> None:
    full = {**EVERY.parameters, **params}
    with pytest.raises(ScenarioError) as fast:
        game_for(template_of(EVERY), full)
    with pytest.raises(ScenarioError) as plain:
        _plain(EVERY, full)
    assert fast.value.key == key
    assert (fast.value.key, fast.value.reason, fast.value.problems) == (plain.value.key, plain.value.reason, plain.value.problems)


def test_a_template_needs_no_expression() -> None:
    """A scenario whose numbers are all literals: every reading is its own game."""
    sc = detente.load("singapore-2018")
    t = template_of(sc)
    _same(game_for(t, dict(sc.parameters)), compile_game(sc))


def test_a_part_resolved_at_zero_is_not_taken_for_minus_zero() -> None:
    """Parts are kept by the bits of the values they read: 0.0 and −0.0 give games that
    differ in the sign of a zero, each the one ``resolve`` gives."""
    t = template_of(EVERY)
    for c in (0.0, -0.0, 0.0):
        params = {**EVERY.parameters, "c": c}
        _same(game_for(t, params), _plain(EVERY, params))


@pytest.mark.parametrize("memo", [template.MEMO, 3])
def test_kept_parts_give_the_games_resolved_whole(memo: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Readings that share some values (as the parties' readings of what they own do): the
    same games as resolved whole, with parts taken from the template's memory (also when it
    is full and starts again)."""
    monkeypatch.setattr(template, "MEMO", memo)
    t = template_of(LIBRARY)
    rng = np.random.default_rng(3)
    for _ in range(40):
        params = {k: float(v * np.exp(0.3 * rng.standard_normal())) if rng.random() < 0.5 else v for k, v in LIBRARY.parameters.items()}
        params = {k: min(max(v, LIBRARY.domains.get(k, (-np.inf, np.inf))[0]), LIBRARY.domains.get(k, (-np.inf, np.inf))[1]) for k, v in params.items()}
        _same(game_for(t, params), _plain(LIBRARY, params))
    assert t.resolved  # parts were kept
