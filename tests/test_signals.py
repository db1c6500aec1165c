"""Costly signals (docs/model.md, "Signals"): a textbook case worked by hand, its thresholds, and
the verdicts against pygambit's equilibria of the same signalling game."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import detente
from detente.analysis.signals import separation
from detente.cli.app import app
from detente.scenario.loader import load_bytes
from gambit_adapter import pure_agent_equilibria
from test_worked_example import WORKED

# The worked example (docs/model.md), where A is "steady" (the example's discount 0.9 and a costly reversal of
# a1) or "fickle" (discount 0.6, a1 cheap to undo). Believed fickle with probability 0.4 ≥ τ,
# no deal is safe against both; believed steady, B gives b1 and A then gives a1.
BASE = WORKED.replace(
    b"discount = 0.9\nunreciprocated_cost = 0.5", b'discount = "a_delta"\nunreciprocated_cost = 0.5'
).replace(b"reversal_cost = 0.5", b'reversal_cost = "a1_rc"')


def scenario_text(kind: str = "sunk", steady: float = 1.0, fickle: float = 10.0) -> bytes:
    return BASE + f"""
[parameters]
a1_rc = {{ value = 30.0, owner = "a" }}
a_delta = {{ value = 0.9, owner = "a" }}

[[types]]
party = "a"
id = "steady"
prior = 0.6

[[types]]
party = "a"
id = "fickle"
prior = 0.4
parameters = {{ a1_rc = 0.5, a_delta = 0.6 }}

[[signals]]
id = "s"
sender = "a"
kind = "{kind}"
cost = {{ steady = {steady}, fickle = {fickle} }}
good_type = "steady"
""".encode()


def scenario(kind: str = "sunk", steady: float = 1.0, fickle: float = 10.0):  # type: ignore[no-untyped-def]
    return load_bytes(scenario_text(kind, steady, fickle), "signal.toml")


# By hand, in the deal [[b1], [a1]] (u_A: b1 +4, a1 −1; A alone at stage 2 pays 0.5):
#   steady (δ 0.9): end 3/0.1 = 30; stage 2: 2.5 + 0.9·30 = 29.5 (skipping a1 is worth
#     4 + 0.9·(4 − 1.5)/0.1 = 26.5); stage 1: 4 + 0.9·29.5 = 30.55.
#   fickle (δ 0.6): end 3/0.4 = 7.5 (undoing a1: 4 − 0.5 + 0.6·2.5/0.4 = 7.25); stage 2:
#     2.5 + 0.6·7.5 = 7.0 < skipping a1, 4 + 0.6·2.5/0.4 = 7.75, so it backs down; stage 1:
#     4 + 0.6·7.75 = 8.65.
# Under the prior there is no deal (no-deal value 0), so B_steady = 30.55, B_fickle = 8.65.
B_STEADY, B_FICKLE = 30.55, 8.65


def test_benefits_of_being_believed_by_hand() -> None:
    (v,) = detente.signals(scenario(), tau=0.25).signals
    assert v.deal_now == [] and v.deal_if_believed == [["b1"], ["a1"]]
    assert v.benefit["steady"] == pytest.approx(B_STEADY)
    assert v.benefit["fickle"] == pytest.approx(B_FICKLE)
    assert v.backs_down == {"steady": False, "fickle": True}


@pytest.mark.parametrize("fickle", [B_FICKLE - 0.01, B_FICKLE + 0.01])
@pytest.mark.parametrize("steady", [0.0, B_STEADY - 0.01, B_STEADY + 0.01])
def test_a_sunk_cost_separates_exactly_when_the_weak_type_cannot_afford_mimicry(steady: float, fickle: float) -> None:
    (v,) = detente.signals(scenario("sunk", steady, fickle), tau=0.25).signals
    assert v.separates == (steady <= B_STEADY and fickle > B_FICKLE)
    assert v.margins["fickle"] == pytest.approx(fickle - B_FICKLE)
    assert v.margins["steady"] == pytest.approx(B_STEADY - steady)


@pytest.mark.parametrize("fickle", [B_FICKLE - 0.01, B_FICKLE + 0.01])
def test_tied_hands_cost_only_the_type_that_backs_down(fickle: float) -> None:
    # the steady type would not back down, so even a huge cost does not deter it
    (v,) = detente.signals(scenario("tied-hands", 1000.0, fickle), tau=0.25).signals
    assert v.separates == (fickle > B_FICKLE)
    assert v.margins["steady"] == pytest.approx(B_STEADY)


def test_separation_rule_on_its_own() -> None:
    ok, m = separation("sunk", "g", {"g": 2.0, "w": 1.0}, {"g": 2.0, "w": 1.5}, {"g": False, "w": True})
    assert ok and m == {"g": 0.0, "w": 0.5}
    ok, _ = separation("sunk", "g", {"g": 2.0, "w": 1.0}, {"g": 2.0, "w": 1.0}, {"g": False, "w": True})
    assert not ok  # the weak type is indifferent: mimicry is not deterred
    ok, _ = separation("tied-hands", "g", {"g": 2.0, "w": 1.0}, {"g": 0.0, "w": 5.0}, {"g": False, "w": False})
    assert not ok  # the weak type would not back down: its hands are tied for free


def _efg(c_steady: float, c_fickle: float) -> str:
    """The one-shot signalling game: nature draws A's type, A signals or not, B sees only that
    and strikes the deal or not. A's payoffs are the may-quit values above less the cost; B's
    are its value of [[b1], [a1]]: 2.0 against the steady type (−2 + 0.8·(1 + 0.8·1/0.2)),
    −10.0 against the fickle one, which backs down at stage 2 (b1 stays, −2/0.2), 0 without."""

    def t(n: int, a: float, b: float) -> str:
        return f't "" {n} "" {{ {a:.6f}, {b:.6f} }}'

    lines = [
        'EFG 2 R "signal" { "A" "B" }',
        '""',
        'c "" 1 "" { "steady" 0.6 "fickle" 0.4 } 0',
        'p "" 1 1 "steady" { "signal" "quiet" } 0',
        'p "" 2 1 "saw signal" { "deal" "none" } 0',
        t(1, B_STEADY - c_steady, 2.0),
        t(2, -c_steady, 0.0),
        'p "" 2 2 "saw quiet" { "deal" "none" } 0',
        t(3, B_STEADY, 2.0),
        t(4, 0.0, 0.0),
        'p "" 1 2 "fickle" { "signal" "quiet" } 0',
        'p "" 2 1 "saw signal" { "deal" "none" } 0',
        t(5, B_FICKLE - c_fickle, -10.0),
        t(6, -c_fickle, 0.0),
        'p "" 2 2 "saw quiet" { "deal" "none" } 0',
        t(7, B_FICKLE, -10.0),
        t(8, 0.0, 0.0),
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("c_steady", "c_fickle"), [(1.0, 12.0), (1.0, 5.0), (31.0, 12.0), (30.0, 8.7), (0.0, 8.6)])
def test_pygambit_finds_the_separating_equilibrium_exactly_when_detente_says_it_separates(
    c_steady: float, c_fickle: float
) -> None:
    (v,) = detente.signals(scenario("sunk", c_steady, c_fickle), tau=0.25).signals
    separating = {"A": ["signal", "quiet"], "B": ["deal", "none"]}
    assert (separating in pure_agent_equilibria(_efg(c_steady, c_fickle))) == v.separates


def test_receiver_values_used_above_are_detentes() -> None:
    steady_world = load_bytes(BASE + b'\n[parameters]\na1_rc = { value = 30.0 }\na_delta = { value = 0.9 }\n', "s.toml")
    audit = detente.audit(steady_world, stages=[["b1"], ["a1"]])
    assert audit.values["b"] == pytest.approx(2.0)
    assert audit.values["a"] == pytest.approx(B_STEADY)


def test_signals_cli_json(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "signal.toml"
    path.write_bytes(scenario_text("sunk", 1.0, 10.0))
    out = CliRunner().invoke(app, ["signals", str(path), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["signals"][0]["separates"] is True
    assert data["signals"][0]["benefit"]["fickle"] == pytest.approx(B_FICKLE)
    out = CliRunner().invoke(app, ["signals", str(path)])
    assert out.exit_code == 0 and "separates" in out.output
