"""The built-in library: every scenario loads, solves, and backs every number with a note and a source."""

from __future__ import annotations

import pytest

import detente
from detente.scenario import library
from detente.scenario.schema import MOVE_NUMBER_FIELDS, PARTY_NUMBER_FIELDS

IDS = library.ids()


def test_the_library_has_the_promised_scenarios() -> None:
    assert {"hanoi-2019", "singapore-2018", "jcpoa-2015"} <= set(IDS)


@pytest.mark.parametrize("scenario_id", IDS)
def test_every_number_has_a_note_and_a_source(scenario_id: str) -> None:
    spec = detente.load(scenario_id).spec
    assert spec is not None
    assert spec.scenario.id == scenario_id
    assert spec.scenario.sources, "the scenario lists its sources"
    assert spec.scenario.description, "the scenario says what its unit of value is"
    for name, param in spec.parameters.items():
        assert param.note and param.source, f"parameter {name} needs a note and a source"
    for obj, fields in [(p, PARTY_NUMBER_FIELDS) for p in spec.parties] + [
        (m, MOVE_NUMBER_FIELDS) for m in spec.moves
    ]:
        assert obj.sources, f"{obj.id} needs sources"
        for field in fields:
            if field in obj.model_fields_set:
                assert obj.notes.get(field), f"{obj.id}.{field} is set but has no note in `notes`"
    for m in spec.moves:
        assert m.note, f"move {m.id} needs a one-sentence note"
    for p in spec.proposals:
        assert p.note and p.sources, f"proposal {p.id} needs a note and sources"


@pytest.mark.parametrize("scenario_id", IDS)
def test_every_scenario_solves_and_audits(scenario_id: str) -> None:
    scenario = detente.load(scenario_id)
    result = detente.solve(scenario)
    assert result.scenario == scenario_id
    if result.deal:
        assert result.audit is not None and result.audit.self_enforcing_deal
    for proposal in scenario.proposals:
        report = detente.audit(scenario, proposal=proposal.id)
        assert report.reason
        assert report.self_enforcing_deal == (not [f for f in report.failures if f.kind != "path-covert"])


def test_hanoi_proposals_are_the_two_from_hanoi() -> None:
    scenario = detente.load("hanoi-2019")
    assert {p.id for p in scenario.proposals} == {"dprk-hanoi-offer", "us-big-deal"}
    assert {p.id for p in scenario.parties} == {"us", "dprk"}
    assert "leakage" in scenario.parameters
