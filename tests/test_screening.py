"""Screening audits and the robust solve on a scenario with types, against hand-worked numbers."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import detente
from detente.cli.app import app
from detente.scenario.loader import load_bytes
from test_worked_example import WORKED

# The worked example of docs/model.md, "Worked examples", with b1's cost a parameter and two types of B:
# "keen" keeps the section's numbers, "reluctant" finds b1 twice as costly.
TYPED = (
    WORKED.replace(b'cost = 2\nvalue = { a = 4 }', b'cost = "b1_cost"\nvalue = { a = 4 }')
    + b"""
[parameters]
b1_cost = { value = 2.0, owner = "b", note = "what b1 costs B" }

[[types]]
party = "b"
id = "keen"
prior = 0.7

[[types]]
party = "b"
id = "reluctant"
prior = 0.3
parameters = { b1_cost = 4.0 }

[[events]]
id = "stalls"
date = 2019-01-01
actor = "b"
label = "B stalls"
likelihood = { keen = 0.2, reluctant = 0.8 }
source = "test"
"""
)
SCHEDULE = [["a1"], ["b2"], ["b1"]]


@pytest.fixture(scope="module")
def typed():  # type: ignore[no-untyped-def]
    return load_bytes(TYPED, "typed.toml")


def test_the_reluctant_type_walks_out_a_stage_early(typed) -> None:  # type: ignore[no-untyped-def]
    """By hand (reluctant B: δ 0.8, flows a1 +3, b2 −1, b1 −4, penalty 1):
    end: stay −2/0.2 = −10; covert cheat on b2 −15.91; W(4) = −10.
    stage 3: comply −2 + 0.8·(−10) = −10; skip b1 (a1 snaps back) 2 + 0.8·(−1 − 1)/0.2 = −6: quits, W = −6.
    stage 2: comply (2 − 1) + 0.8·(−6) = −3.8; skip b2, 3 + 0.8·(0 − 1)/0.2 = −1: quits, W = −1.
    stage 1: B has no move and nothing to undo: W = 3 + 0.8·(−1) = 2.2.
    So it walks out at stage 2, worth 2.2; the keen type complies, worth the worked example's 3.8;
    B's expected value is 0.7·3.8 + 0.3·2.2 = 3.32."""
    result = detente.audit(typed, stages=SCHEDULE, types=True)
    assert result.screening is not None
    by_type = {t.type: t for t in result.screening.types if t.party == "b"}
    reluctant, keen = by_type["reluctant"], by_type["keen"]
    assert reluctant.quits_at == 2
    assert reluctant.value == pytest.approx(2.2)
    assert [c.value for c in reluctant.choices] == pytest.approx([2.2, -1.0, -6.0, -10.0])
    assert reluctant.choices[2].comply == pytest.approx(-10.0)
    assert keen.quits_at is None and keen.value == pytest.approx(3.8)
    assert result.screening.expected_values["b"] == pytest.approx(0.7 * 3.8 + 0.3 * 2.2)
    assert "walk out at stage 2" in reluctant.sentence


def test_posterior_beliefs_weigh_the_timeline(typed) -> None:  # type: ignore[no-untyped-def]
    result = detente.audit(typed, stages=SCHEDULE, types=True, beliefs_at="posterior")
    assert result.screening is not None
    post = 0.3 * 0.8 / (0.3 * 0.8 + 0.7 * 0.2)  # Bayes by hand
    assert result.screening.beliefs["b"]["reluctant"] == pytest.approx(post)
    assert result.screening.expected_values["b"] == pytest.approx((1 - post) * 3.8 + post * 2.2)


def test_robust_solve_keeps_the_likely_types_in(typed) -> None:  # type: ignore[no-untyped-def]
    safe = detente.solve_robust(typed, 0.25)  # both types at least 0.25 likely: both must comply
    assert safe.screening is not None
    assert all(t.quits_at is None for t in safe.screening.types)
    loose = detente.solve_robust(typed, 0.5)  # only the keen type must comply
    plain = detente.solve(typed)
    if loose.deal:
        assert loose.screening is not None
        assert all(t.quits_at is None for t in loose.screening.types if t.enforced)
    assert plain.schedule == SCHEDULE


def test_without_types_the_robust_solve_is_the_plain_one() -> None:
    plain = load_bytes(WORKED, "worked.toml")
    robust = detente.solve_robust(plain, 0.5)
    assert robust.schedule == detente.solve(plain).schedule
    assert robust.expected_values == pytest.approx(detente.solve(plain).values)


def test_cli_robust_and_types(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "typed.toml"
    path.write_bytes(TYPED)
    runner = CliRunner()
    out = runner.invoke(app, ["solve", str(path), "--robust", "0.25", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["tau"] == 0.25 and data["beliefs_at"] == "prior"
    assert set(data["expected_values"]) == {"a", "b"}
    out = runner.invoke(app, ["audit", str(path), "--stages", "a1;b2;b1", "--types", "--beliefs", "posterior"])
    assert out.exit_code == 0, out.output
    assert "quits at stage 2" in out.output
    out = runner.invoke(app, ["run", str(path)])
    assert out.exit_code == 0, out.output
    assert "Against the wrong type" in out.output and "posterior" in out.output
