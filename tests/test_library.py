"""The built-in library: every scenario loads, solves, and backs every number with a note and a source."""

from __future__ import annotations

import datetime

import pytest

import detente
from detente.scenario import library
from detente.scenario.schema import MOVE_NUMBER_FIELDS, PARTY_NUMBER_FIELDS

IDS = library.ids()
CASES = library.case_ids()


def test_the_library_has_the_promised_scenarios() -> None:
    assert {"hanoi-2019", "singapore-2018", "jcpoa-2015"} <= set(IDS)


@pytest.mark.parametrize("scenario_id", IDS + CASES)
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
def test_every_type_event_and_signal_has_a_note_and_a_source(scenario_id: str) -> None:
    spec = detente.load(scenario_id).spec
    assert spec is not None
    for t in spec.types:
        name = f"type {t.party}.{t.id}"
        assert t.note.strip(), f"{name} needs a note giving the reason for its prior"
        assert t.sources, f"{name} needs sources"
        for param in t.parameters:
            assert param in t.note, f"{name} overrides {param} but its note does not explain it"
    for e in spec.events:
        assert e.note.strip(), f"event {e.id} needs a note giving the reason for its likelihoods"
        assert e.source.strip(), f"event {e.id} needs a source"
    for sig in spec.signals:
        assert sig.note.strip(), f"signal {sig.id} needs a note giving the reason for its costs"
        assert sig.sources, f"signal {sig.id} needs sources"


@pytest.mark.parametrize("scenario_id", IDS)
def test_every_uncertainty_number_has_a_note_and_a_source(scenario_id: str) -> None:
    spec = detente.load(scenario_id).spec
    assert spec is not None
    u = spec.uncertainty
    if u is None:
        return
    assert u.sources, "[uncertainty] needs sources"
    for key in ("misperception", "working_level_gain", "summit_cooldown", "horizon"):
        if key in u.model_fields_set:
            assert u.notes.get(key), f"uncertainty.{key} is set but has no note in `notes`"
    for name, d in (u.model_extra or {}).items():
        assert d.note.strip() and d.source.strip(), f"uncertainty.{name} needs a note and a source"


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


def test_hanoi_has_types_for_both_sides_a_dated_timeline_and_signals() -> None:
    spec = detente.load("hanoi-2019").spec
    assert spec is not None
    for party in ("us", "dprk"):
        types = [t for t in spec.types if t.party == party]
        assert len(types) >= 2, f"{party} needs at least two types, has {[t.id for t in types]}"
    # The file's order, not the loader's: resolve() sorts events by date, hiding a misordered file.
    dates = [e.date for e in spec.events]
    assert len(dates) >= 10, f"the timeline has {len(dates)} events, expected at least 10"
    first, last = datetime.date(2017, 1, 1), datetime.date(2019, 12, 31)
    outside = [e.id for e in spec.events if not first <= e.date <= last]
    assert not outside, f"events outside 2017-2019: {outside}"
    assert dates == sorted(dates), "the events are not listed in date order"
    assert {e.actor for e in spec.events} == {"us", "dprk"}, "events should speak about both sides"
    assert len(spec.signals) >= 4, f"{len(spec.signals)} signals, expected at least 4"
    assert {sig.sender for sig in spec.signals} == {"us", "dprk"}, "both sides need signals at hand"


def test_hanoi_likelihoods_are_not_extreme_and_beliefs_stay_open() -> None:
    scenario = detente.load("hanoi-2019")
    for e in scenario.events:
        for t, p in e.likelihood.items():
            assert 0.05 < p < 0.95, f"event {e.id}: P(event | {t}) = {p} is too close to certainty"
    result = detente.beliefs(scenario)
    assert {p.party for p in result.parties} == {"us", "dprk"}
    for party in result.parties:
        for t, p in party.final.items():
            assert 0.01 < p < 0.99, f"final belief that {party.party} is {t}: {p:.3f}, too extreme"


def test_the_case_bank_spans_domains_and_outcomes() -> None:
    """At least 8 cases; every kind of ending; every case has a dated, sourced record."""
    from detente.analysis.backtest import outcome_kind

    assert len(CASES) >= 8
    kinds = set()
    for cid in CASES:
        sc = detente.load(cid)
        assert sc.outcomes, f"{cid} has no [[outcomes]]"
        assert all(o.source.strip() for o in sc.outcomes), f"{cid}: every outcome needs a source"
        kinds.add(outcome_kind(sc))
    assert {"held", "collapsed", "never struck", "went along then refused"} <= kinds
