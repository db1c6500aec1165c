"""A multi-actor forecast held to its [[record]]: errors and baselines by hand, bad record
entries refused in one line, the API's errors naming its parameters, and the built-in
scenario's record (a note and a source for every entry)."""

from __future__ import annotations

import datetime
import hashlib
import io
import tomllib
from pathlib import Path

import pytest
from rich.console import Console

import detente
from detente.cli import render_forecast
from detente.errors import ScenarioError
from detente.results import ForecastResult
from detente.smp.backtest import backtest, mean_absolute_error
from detente.smp.scenario import library_text, parse_forecast

TINY = """\
[forecast]
id = "tiny"
title = "Two actors, two dimensions"

[[dimensions]]
id = "x"
name = "Dimension x"

[[dimensions]]
id = "y"
name = "Dimension y"

[[actors]]
id = "a"
name = "Actor A"
capability = 60
position = { x = 20, y = 80 }
salience = { x = 50, y = 30 }

[[actors]]
id = "b"
name = "Actor B"
capability = 40
position = { x = 60, y = 40 }
salience = { x = 40, y = 40 }

[[record]]
actor = "a"
dimension = "x"
date = 2020-12-31
position = 35
source = "An outlet, 1 January 2021, 'A title'"
note = "judgement: a moved up"

[[record]]
actor = "a"
dimension = "y"
date = 2020-12-31
position = 80
source = "An outlet, 1 January 2021, 'A title'"

[[record]]
actor = "b"
dimension = "x"
date = 2020-12-31
position = 60
source = "An outlet, 1 January 2021, 'A title'"

[[record]]
actor = "b"
dimension = "y"
date = 2021-12-31
position = 20
source = "An outlet, 1 January 2022, 'Another title'"
"""

D1, D2 = datetime.date(2020, 12, 31), datetime.date(2021, 12, 31)


def _result(states: list[list[list[float]]]) -> ForecastResult:
    """A run's result with the given positions (0-100) per state, actor and dimension."""
    n = len(states[0])
    return ForecastResult(
        scenario="tiny", description="", actors=["Actor A", "Actor B"], dimensions=["Dimension x", "Dimension y"],
        turns_run=len(states) - 1, converged=True,
        positions=[[[v / 100 for v in actor] for actor in state] for state in states],
        fractional_changes=[0.0] * (len(states) - 1),
        winning_probabilities=[[1 / n] * n for _ in states], risk_attitudes=[[0.0] * n for _ in states], turns=[],
    )


# state 0 is the input; a moves (20, 80) -> (25, 75) -> (30, 70); b (60, 40) -> (55, 45) -> (50, 50)
HAND = _result([[[20, 80], [60, 40]], [[25, 75], [55, 45]], [[30, 70], [50, 50]]])


def _spec():  # type: ignore[no-untyped-def]
    return parse_forecast(TINY.encode(), "tiny.toml")[0]


def test_errors_and_baselines_by_hand() -> None:
    r = backtest(_spec(), HAND, origin="tiny.toml", content_hash="h")
    assert r.dates == [D1, D2] and r.turns_run == 2
    first = [row for row in r.rows if row.date == D1]
    # a.x: record 35, baseline 20 (error 15), forecast 30 (error 5); a.y: 80, 80 (0), 70 (10);
    # b.x: 60, 60 (0), 50 (10)
    assert [(x.actor, x.dimension, x.record, x.baseline, x.forecast) for x in first] == [
        ("a", "x", 35, 20, 30), ("a", "y", 80, 80, 70), ("b", "x", 60, 60, 50)
    ]
    assert [x.baseline_error for x in first] == pytest.approx([15, 0, 0])
    assert [x.forecast_error for x in first] == pytest.approx([5, 10, 10])
    scores = {(s.date, s.dimension): s for s in r.scores}
    x, y, overall = scores[(D1, "x")], scores[(D1, "y")], scores[(D1, None)]
    assert (x.n, x.baseline_mae, x.forecast_mae, x.gain) == (2, pytest.approx(7.5), pytest.approx(7.5), pytest.approx(0))
    assert (y.n, y.baseline_mae, y.forecast_mae, y.gain) == (1, 0, pytest.approx(10), pytest.approx(-10))
    assert overall.n == 3 and overall.dimension_name == "all dimensions"
    assert overall.baseline_mae == pytest.approx(5) and overall.forecast_mae == pytest.approx(25 / 3)
    # only a.x moved on the record (up), and the forecast moved it up too
    assert (overall.record_moved, overall.same_direction) == (1, 1)
    # 2021: b.y: record 20, baseline 40 (20), forecast 50 (30); it moved down, the forecast up
    last = scores[(D2, None)]
    assert (last.n, last.baseline_mae, last.forecast_mae) == (1, pytest.approx(20), pytest.approx(30))
    assert (last.record_moved, last.same_direction) == (1, 0)
    assert (D2, "x") not in scores  # no entry on x that year
    # the error after each turn: state 0 is the baseline, the last the forecast
    curves = {c.date: c for c in r.by_turn}
    assert curves[D1].mae == pytest.approx([5, 20 / 3, 25 / 3]) and curves[D1].best_turn == 0
    assert curves[D2].mae == pytest.approx([20, 25, 30])
    assert [s.turn for s in r.scores] == [None] * len(r.scores)
    assert r.summary.startswith("On 2020-12-31 the forecast's mean absolute error is 8.3 points against 5.0")
    assert r.summary.endswith("the forecast beats 'nobody moves' on 0 of 2 dates.")


def test_a_chosen_turn_is_scored_too_and_a_late_one_is_the_last_state() -> None:
    r = backtest(_spec(), HAND, origin="tiny.toml", content_hash="h", turns={D1: 1, D2: 7})
    scores = {(s.date, s.dimension): s for s in r.scores}
    # after turn 1: a.x 25 (10 from 35), a.y 75 (5), b.x 55 (5)
    assert scores[(D1, None)].turn == 1 and scores[(D1, None)].at_turn_mae == pytest.approx(20 / 3)
    assert scores[(D1, "x")].at_turn_mae == pytest.approx(7.5) and scores[(D1, "y")].at_turn_mae == pytest.approx(5)
    assert [row.at_turn for row in r.rows if row.date == D1] == pytest.approx([25, 75, 55])
    # turn 7 of a 2-turn run is its last state
    assert scores[(D2, None)].turn == 2 and scores[(D2, None)].at_turn_mae == pytest.approx(30)


def test_mean_absolute_error() -> None:
    assert mean_absolute_error([(1, 4), (10, 8)]) == pytest.approx(2.5)
    assert mean_absolute_error([]) == 0.0


def test_the_api_runs_the_file_and_scores_its_run(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    r = detente.forecast_backtest(path)
    assert isinstance(r, detente.ForecastBacktestResult)
    assert r.content_hash == hashlib.sha256(path.read_bytes()).hexdigest() and r.scenario == "tiny"
    run = detente.forecast(path)
    ids = {"a": 0, "b": 1}, {"x": 0, "y": 1}
    for row in r.rows:
        a, k = ids[0][row.actor], ids[1][row.dimension]
        assert row.baseline == pytest.approx(100 * run.positions[0][a][k])
        assert row.forecast == pytest.approx(100 * run.positions[-1][a][k])
    on = [row for row in r.rows if row.date == D1]
    overall = next(s for s in r.scores if s.date == D1 and s.dimension is None)
    assert overall.forecast_mae == pytest.approx(sum(abs(x.forecast - x.record) for x in on) / 3)
    assert overall.baseline_mae == pytest.approx((15 + 0 + 0) / 3)
    same = detente.forecast_backtest(path, turns={"2020-12-31": 1})
    assert next(s for s in same.scores if s.date == D1 and s.dimension is None).turn == 1


BAD = [
    ('actor = "b"\ndimension = "y"\ndate = 2021', 'actor = "c"\ndimension = "y"\ndate = 2021', "record[3].actor", "unknown actor 'c' (actors: a, b)"),
    ('actor = "b"\ndimension = "y"', 'actor = "b"\ndimension = "z"', "record[3].dimension", "unknown dimension 'z' (dimensions: x, y)"),
    ("position = 20\n", "position = 120\n", "record[3].position", "must lie in [0, 100], got 120"),
    ("position = 20\n", "position = -5\n", "record[3].position", "must lie in [0, 100], got -5"),
    ("source = \"An outlet, 1 January 2022, 'Another title'\"\n", "", "record[3].source", "Field required"),
    ("source = \"An outlet, 1 January 2022, 'Another title'\"\n", 'source = " "\n', "record[3].source", "every entry of the record needs a source"),
    ("date = 2021-12-31", 'date = "end of 2021"', "record[3].date", "date"),
    ("position = 20\n", "position = 20\nweight = 2\n", "record[3].weight", "unknown key"),
    ('actor = "b"\ndimension = "y"\ndate = 2021-12-31', 'actor = "b"\ndimension = "x"\ndate = 2020-12-31', "record[3]", "b on x on 2020-12-31 is already recorded in record[2]"),
]


@pytest.mark.parametrize(("old", "new", "key", "reason"), BAD)
def test_bad_record_entries_are_refused_in_one_line(old: str, new: str, key: str, reason: str) -> None:
    text = TINY.replace(old, new)
    assert text != TINY, "the edit did not apply"
    with pytest.raises(ScenarioError) as err:
        parse_forecast(text.encode(), "case.toml")
    assert err.value.key == key and reason in err.value.reason, str(err.value)
    assert "\n" not in str(err.value) and str(err.value).startswith(f"case.toml: {key}: ")


def test_the_api_names_its_parameters(tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    cases = [
        ({"turns": {"2019-01-01": 1}}, "turns", "2019-01-01", "no entry of the record is dated 2019-01-01 (dates: 2020-12-31, 2021-12-31)"),
        ({"turns": {"end of 2020": 1}}, "turns", "end of 2020", "not a date"),
        ({"turns": {"2020-12-31": -1}}, "turns", "2020-12-31", "at least 0"),
        ({"turns": {D1: 1.5}}, "turns", "2020-12-31", "whole number"),
        ({"max_turns": 0}, "max_turns", "", "must be at least 1, got 0"),
    ]
    for kwargs, source, key, reason in cases:
        with pytest.raises(ScenarioError) as err:
            detente.forecast_backtest(path, **kwargs)  # type: ignore[arg-type]
        assert (err.value.source, err.value.key) == (source, key) and reason in err.value.reason, str(err.value)
    plain = tmp_path / "plain.toml"
    plain.write_text(TINY.split("[[record]]")[0])
    with pytest.raises(ScenarioError, match="needs \\[\\[record\\]\\]") as err:
        detente.forecast_backtest(plain)
    assert err.value.key == "record"
    with pytest.raises(ScenarioError, match="a KTAB CSV has no \\[\\[record\\]\\]"):
        detente.forecast_backtest(Path(__file__).parent / "data" / "ktab" / "SOE-Pol-Comp.csv")


def test_the_built_in_record_has_a_note_and_a_source_for_every_entry() -> None:
    text = library_text("korea-six-party-2019")
    assert text is not None
    data = tomllib.loads(text.decode())
    record = data["record"]
    actors = {a["id"] for a in data["actors"]}
    dims = {d["id"] for d in data["dimensions"]}
    for i, entry in enumerate(record):
        assert entry["note"].startswith("judgement:") and len(entry["note"]) > 40, i
        assert len(entry["source"]) > 30 and any(str(y) in entry["source"] for y in range(2019, 2022)), i
        # the record is after the inputs' cut-off (the end of the Hanoi summit)
        assert entry["date"] > datetime.date(2019, 3, 1), i
    # every actor on every dimension at the end of 2019 and of 2020
    cells = {(e["actor"], e["dimension"], e["date"]) for e in record}
    assert cells == {(a, d, t) for a in actors for d in dims for t in (datetime.date(2019, 12, 31), D1)}


def test_the_built_in_forecast_against_its_record_renders() -> None:
    r = detente.forecast_backtest("korea-six-party-2019")
    assert r.dates == [datetime.date(2019, 12, 31), D1] and len(r.rows) == 24
    assert all(c.mae[0] == pytest.approx(s.baseline_mae) for c, s in zip(r.by_turn, [s for s in r.scores if s.dimension is None], strict=True))
    out = io.StringIO()
    render_forecast.backtest(Console(file=out, width=100), r)
    shown = out.getvalue()
    assert r.summary.split(";")[0][:40] in shown.replace("\n", " ") and "baseline" in shown
