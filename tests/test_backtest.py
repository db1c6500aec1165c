"""detente held to the record (docs/model.md, "Validation"): a synthetic bank whose verdicts and
scores are worked by hand, the scores against scikit-learn's, and bad case files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.metrics import brier_score_loss, log_loss

import detente
from detente.analysis.backtest import CLIP, backtest, calibration, outcome_kind
from detente.errors import ScenarioError
from detente.scenario import load_bytes
from test_worked_example import WORKED

# The worked example: [[a1], [b2], [b1]] is self-enforcing (kept), and [[a1, b1, b2]] with a1's
# reversal lag 2 is not (b quits at stage 1).
KEPT = WORKED.decode() + """
[[proposals]]
id = "deal"
by = "a"
stages = [["a1"], ["b2"], ["b1"]]
[[outcomes]]
stage = 1
moves = ["a1"]
status = "taken"
date = 2019-01-01
source = "s"
[[outcomes]]
stage = 2
moves = ["b2"]
status = "taken"
date = 2019-04-01
source = "s"
[[outcomes]]
stage = 3
moves = ["b1"]
status = "quit"
by = ["b"]
date = 2019-07-01
source = "s"
"""
LAGGED = WORKED.decode().replace("reversal_cost = 0.5\n", "reversal_cost = 0.5\nreversal_lag = 2\n") + """
[[outcomes]]
stage = 1
moves = ["a1", "b1", "b2"]
status = "refused"
by = ["b"]
date = 2019-01-01
source = "s"
"""


@pytest.fixture(scope="module")
def bank() -> list[detente.Scenario]:
    return [load_bytes(KEPT.encode(), "kept.toml"), load_bytes(LAGGED.encode(), "lagged.toml")]


def test_verdicts_by_hand(bank) -> None:  # type: ignore[no-untyped-def]
    r = backtest(bank)
    kept, lagged = r.cases
    # the schedule is self-enforcing: detente says every stage is taken; the record says b quit at 3
    assert [s.predicted_taken for s in kept.stages] == [True, True, True]
    assert [s.agrees for s in kept.stages] == [True, True, False]
    assert kept.outcome == "collapsed"
    assert outcome_kind(bank[0]) == "collapsed"
    # b quits the one-stage schedule at once (3.32 against -1): refused, by b, as recorded
    (s,) = lagged.stages
    assert not s.predicted_taken and s.predicted_by == ["b"] and s.agrees and s.right_party
    assert lagged.outcome == "never struck"
    assert r.confusion == {"taken": {"taken": 2, "not taken": 1}, "not taken": {"taken": 0, "not taken": 1}}
    assert r.accuracy_by_stage == {1: 1.0, 2: 1.0, 3: 0.0}
    assert r.base_rate == pytest.approx(0.5)


def test_scores_by_hand_and_against_scikit_learn(bank) -> None:  # type: ignore[no-untyped-def]
    r = backtest(bank)
    y = [1, 1, 0, 0]  # taken, taken, quit | refused
    p = [1.0, 1.0, 1.0, 0.0]  # detente (no types: 0 or 1)
    scores = {s.forecaster: s for s in r.scores}
    assert scores["detente"].brier == pytest.approx(0.25)  # one miss of 1, over 4
    assert scores["detente"].brier == pytest.approx(brier_score_loss(y, p))
    clipped = [min(max(v, CLIP), 1 - CLIP) for v in p]
    assert scores["detente"].log_loss == pytest.approx(log_loss(y, clipped))
    assert scores["a coin"].brier == pytest.approx(0.25)
    assert scores["a coin"].log_loss == pytest.approx(log_loss(y, [0.5] * 4))
    assert scores["every stage taken"].brier == pytest.approx(0.5)
    assert scores["the bank's base rate"].brier == pytest.approx(brier_score_loss(y, [0.5] * 4))
    # reciprocal: stages 1-3 of KEPT have one owner each (predicted refused), LAGGED's both
    assert scores["reciprocal stages taken"].brier == pytest.approx(brier_score_loss(y, [0.0, 0.0, 0.0, 1.0]))
    assert scores["detente"].accuracy == pytest.approx(0.75)


def test_calibration_bins() -> None:
    bins = calibration([0.1, 0.15, 0.9, 1.0], [0, 1, 1, 1])
    assert (bins[0].n, bins[0].mean_probability, bins[0].frequency) == (2, pytest.approx(0.125), pytest.approx(0.5))
    assert (bins[-1].n, bins[-1].frequency) == (2, 1.0)
    assert all(b.n == 0 and b.frequency is None for b in bins[1:-1])


def test_a_case_without_a_record_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "none.toml"
    path.write_bytes(WORKED)
    with pytest.raises(ScenarioError) as exc:
        detente.api.backtest([str(path)])
    assert "needs [[outcomes]]" in str(exc.value) and "\n" not in str(exc.value)


def test_the_cli_takes_a_folder(tmp_path: Path) -> None:
    (tmp_path / "kept.toml").write_text(KEPT)
    (tmp_path / "lagged.toml").write_text(LAGGED)
    out = subprocess.run(
        [sys.executable, "-m", "detente.cli.app", "backtest", str(tmp_path), "--json", "--no-store"],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [c["case"] for c in data["cases"]] == ["worked-example", "worked-example"]
    assert data["scores"][0]["forecaster"] == "detente"
    bad = subprocess.run(
        [sys.executable, "-m", "detente.cli.app", "backtest", str(tmp_path / "missing.toml")],
        capture_output=True, text=True, timeout=300,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_the_html_report_has_the_calibration_chart(tmp_path: Path) -> None:
    (tmp_path / "kept.toml").write_text(KEPT)
    (tmp_path / "lagged.toml").write_text(LAGGED.replace("<", "&lt;"))
    page = tmp_path / "backtest.html"
    out = subprocess.run(
        [sys.executable, "-m", "detente.cli.app", "backtest", str(tmp_path), "--html", str(page), "--no-store"],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    text = page.read_text()
    assert "Calibration: what detente said against what happened" in text
    assert "perfect calibration" in text and "<table>" in text
    assert "https://" not in text.split("<script")[0]  # nothing is loaded from the network
