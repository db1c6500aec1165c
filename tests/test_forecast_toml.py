"""The TOML form of a forecast scenario: the same run as the KTAB CSV, one-line errors,
and the built-in cases' notes and sources."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import detente
from detente.errors import ScenarioError
from detente.smp.library import ids, library_text
from detente.smp.scenario import parse_forecast

SOE = Path(__file__).parent / "data" / "ktab" / "SOE-Pol-Comp.csv"


def soe_as_toml() -> str:
    """KTAB's sample, rewritten in detente's TOML form."""
    out = [
        '[forecast]\nid = "soe"\ntitle = "China Policy/Competitive; scen 2"\n',
        '[[dimensions]]\nid = "policy"\nname = "Policy Position"\n',
        '[[dimensions]]\nid = "competitive"\nname = "Competitive Position"\n',
    ]
    for row in list(csv.reader(SOE.open()))[2:]:
        name, desc, cap, p1, s1, p2, s2 = (c.strip() for c in row[:7])
        out.append(
            f'[[actors]]\nid = "{name.lower()}"\nname = "{name}"\ndescription = "{desc}"\ncapability = {cap}\n'
            f"position = {{ policy = {p1}, competitive = {p2} }}\nsalience = {{ policy = {s1}, competitive = {s2} }}\n"
        )
    return "\n".join(out)


def test_the_toml_form_gives_the_csvs_run(tmp_path: Path) -> None:
    path = tmp_path / "soe.toml"
    path.write_text(soe_as_toml())
    a, b = detente.forecast(path), detente.forecast(SOE)
    assert a.turns_run == b.turns_run == 27
    assert a.positions == b.positions and a.winning_probabilities == b.winning_probabilities
    assert a.actors == b.actors and a.dimensions == b.dimensions


BASE = soe_as_toml()


@pytest.mark.parametrize(
    ("edit", "key", "reason"),
    [
        (lambda t: t.replace('id = "xj"', 'id = "xj"\ncolour = "red"'), "actors[xj].colour", "unknown key"),
        (lambda t: t.replace("capability = 100.0", "capability = -1"), "actors[xj].capability", "greater than 0"),
        (lambda t: t.replace("position = { policy = 30, competitive = 20 }", "position = { policy = 130, competitive = 20 }"), "actors[xj].position.policy", "must lie in [0, 100], got 130"),
        (lambda t: t.replace("salience = { policy = 24.0, competitive = 48.0 }", "salience = { policy = 64.0, competitive = 48.0 }"), "actors[xj].salience", "saliences sum to 112 > 100"),
        (lambda t: t.replace("position = { policy = 30, competitive = 20 }", "position = { policy = 30 }"), "actors[xj].position", "missing dimension 'competitive'"),
        (lambda t: t.replace("position = { policy = 30, competitive = 20 }", "position = { policy = 30, competitive = 20, econ = 4 }"), "actors[xj].position.econ", "unknown dimension"),
        (lambda t: t.replace('id = "lk"', 'id = "xj"'), "actors", "duplicate id 'xj'"),
        (lambda t: t.replace('[forecast]\nid = "soe"', '[forecast]\nid = "Soe Case"'), "forecast.id", "should match pattern"),
    ],
)
def test_bad_toml_is_one_line_naming_the_key(edit, key: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    text = edit(BASE)
    assert text != BASE, "the edit did not apply"
    with pytest.raises(ScenarioError) as err:
        parse_forecast(text.encode(), "case.toml")
    assert err.value.key == key and reason in err.value.reason
    assert "\n" not in str(err.value)


def test_an_unknown_source_names_the_built_in_cases() -> None:
    with pytest.raises(ScenarioError, match="no such file or built-in forecast scenario") as err:
        detente.forecast("korea-seven-party")
    assert "korea-six-party-2019" in str(err.value)


@pytest.mark.parametrize("case", ids())
def test_built_in_cases_run_and_every_number_has_a_note_and_a_source(case: str) -> None:
    text = library_text(case)
    assert text is not None
    data = tomllib.loads(text.decode())
    assert data["forecast"]["id"] == case and data["forecast"]["sources"]
    dims = [d["id"] for d in data["dimensions"]]
    for d in data["dimensions"]:
        assert d.get("low") and d.get("high") and d.get("note"), d["id"]
    for a in data["actors"]:
        expected = {"capability"} | {f"{f}.{d}" for f in ("position", "salience") for d in dims}
        notes = a.get("notes", {})
        assert expected <= set(notes), (a["id"], expected - set(notes))
        assert all(len(notes[k]) > 30 for k in expected), a["id"]
        assert a.get("sources"), a["id"]
    r = detente.forecast(case)
    assert r.turns_run >= 1 and len(r.why) == len(data["actors"])


def test_the_six_party_case_is_built_in() -> None:
    assert "korea-six-party-2019" in ids()


def test_the_scenarios_commands_know_the_forecast_cases() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "detente", "scenarios", "list"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "120"},
    )
    assert listed.returncode == 0 and "korea-six-party-2019" in listed.stdout and "hanoi-2019" in listed.stdout
    shown = subprocess.run([sys.executable, "-m", "detente", "scenarios", "show", "korea-six-party-2019"], capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0 and shown.stdout.encode() == library_text("korea-six-party-2019")


@pytest.mark.parametrize("case", ids())
def test_built_in_uncertainty_ranges_have_a_judgement_note_and_a_source(case: str) -> None:
    text = library_text(case)
    assert text is not None
    table = tomllib.loads(text.decode()).get("uncertainty", {})
    assert table.get("note") and table.get("sources")
    ranges = {k: v for k, v in table.items() if isinstance(v, dict)}
    assert ranges
    for key, d in ranges.items():
        assert d["note"].startswith("judgement:") and len(d["note"]) > 60, key
        assert len(d.get("source", "")) > 20, key
    # the ranges hold the file's own numbers (the mode or inside the range)
    spec, _ = parse_forecast(text, case)
    actors = {a.id: a for a in spec.actors}
    for key, d in ranges.items():
        actor, field, *dim = key.split(".")
        value = getattr(actors[actor], field)
        value = value[dim[0]] if dim else value
        assert d["low"] <= value <= d["high"], key
