"""The audit's failures in plain words (docs/model.md, "The audit"), on the worked example."""

from __future__ import annotations

import pytest

import detente
from detente.errors import ScheduleError
from test_worked_example import WORKED


@pytest.fixture(scope="module")
def scenario() -> detente.Scenario:
    return detente.scenario.load_bytes(WORKED, "worked.toml")


def test_a_stage_failure_names_party_stage_and_shortfall(scenario: detente.Scenario) -> None:
    # b moves alone and first: with b2 it pays 1 upfront for nothing it can count on
    report = detente.audit(scenario, stages="b2;b1;a1")
    stage_failures = [f for f in report.failures if f.kind == "stage"]
    assert stage_failures, report.failures
    first = stage_failures[0]
    assert first.party == "b" and first.stage == 1
    assert first.shortfall is not None and first.shortfall > 0
    assert "B would not go through with" in first.sentence
    assert f"short by {first.shortfall:.2f}" in first.sentence
    assert report.reason == report.failures[0].sentence
    assert not report.self_enforcing_deal


def test_an_invalid_stage_is_reported(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = WORKED.replace(b'id = "b1"\nowner = "b"\nlabel = "b1"', b'id = "b1"\nowner = "b"\nlabel = "b1"\nrequires = ["b2"]')
    path = tmp_path / "req.toml"
    path.write_bytes(text)
    report = detente.audit(detente.load(path), stages="b1;b2,a1")
    assert not report.valid and not report.feasible
    assert report.failures[0].kind == "invalid"
    assert "requires b2" in report.failures[0].sentence


def test_no_gain_sentence(scenario: detente.Scenario) -> None:
    report = detente.audit(scenario, stages="a1,b1,b2")
    (failure,) = [f for f in report.failures if f.kind == "no-gain"]
    assert failure.party == "b"
    assert "-1.00 against 0.00" in failure.sentence


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ("a1;zz", "unknown move 'zz'"),
        ("a1;a1", "appears twice"),
        ("a1;;b1", "stage 2 is empty"),
        ("  ", "empty schedule"),
    ],
)
def test_bad_stages_are_rejected(scenario: detente.Scenario, stages: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        detente.audit(scenario, stages=stages)


def test_proposal_and_stages_are_exclusive(scenario: detente.Scenario) -> None:
    with pytest.raises(ScheduleError):
        detente.audit(scenario)
    with pytest.raises(ScheduleError, match="unknown proposal"):
        detente.audit(scenario, proposal="nope")
