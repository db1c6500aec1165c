"""Why did the deal change (docs/model.md, "Tipping points, sweeps and comparisons"): hand-built
cases for each kind of change, the command's grammar, its JSON and its one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from detente import api
from detente.cli.validation import parse_compare
from detente.errors import ScenarioError
from test_tipping import TINY, WORKED_PARAMS

# Offers by A to a B that is keen (its big favour costs it 0.5) or cool (3.5), one meeting,
# the two proposals as the only offers; δ = 0.9 (a(∞) = 10), penalties 2, nothing in effect
# (no deal: 0 for both). Small (a1 with b1): A gets 10, each type 30. Big (a1, b1, b2): A gets
# 10(1 + gain), keen 25, cool 10·(4 − 1 − 3.5) = −5 < 0 (going through still beats quitting,
# which costs the penalty), so cool refuses it. A offers big iff ½·10(1 + gain) > 10, i.e.
# gain > 1; at gain = 1 the tie goes to the offer more types accept: small.
SCREEN = """
[scenario]
id = "screen"
title = "Big or small"

[parameters]
gain = { value = 3.0, min = 0, max = 6, note = "what b2 is worth to A per period" }
k2 = { value = 0.5, min = 0, max = 5, note = "what b2 costs B per period" }

[[parties]]
id = "a"
name = "A"
discount = 0.9
defection_penalty = 2

[[parties]]
id = "b"
name = "B"
discount = 0.9
defection_penalty = 2

[[moves]]
id = "a1"
owner = "a"
label = "A's favour"
cost = 1
value = { b = 4 }
reversible = true

[[moves]]
id = "b1"
owner = "b"
label = "B's small favour"
cost = 1
value = { a = 2 }
reversible = true

[[moves]]
id = "b2"
owner = "b"
label = "B's big favour"
cost = "k2"
value = { a = "gain" }
reversible = true

[[proposals]]
id = "small"
stages = [["a1", "b1"]]

[[proposals]]
id = "big"
stages = [["a1", "b1", "b2"]]

[[types]]
party = "b"
id = "keen"
prior = 0.5
parameters = { k2 = 0.5 }

[[types]]
party = "b"
id = "cool"
prior = 0.5
parameters = { k2 = 3.5 }

[bargaining]
protocol = "offers"
proposer = "a"
rounds = 1
candidates = "proposals"
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("compare")
    (path / "tiny.toml").write_text(TINY, encoding="utf-8")
    (path / "tiny-low.toml").write_text(TINY.replace("w = { value = 3.0", "w = { value = 1.5"), encoding="utf-8")
    (path / "screen.toml").write_text(SCREEN, encoding="utf-8")
    (path / "worked.toml").write_text(WORKED_PARAMS, encoding="utf-8")
    return path


def test_a_stage_that_stops_paying(folder: Path) -> None:
    """w 3 → 1.5: b's slack w − 2k goes from 1 to −0.5 at the stage and at the final agreement;
    the deal is gone and the proposal fails."""
    r = api.compare(folder / "tiny.toml", {"w": 1.5})
    assert [(p.parameter, p.before, p.after) for p in r.parameters] == [("w", 3.0, 1.5)]
    assert r.baseline.deal and not r.changed.deal and not r.same_deal
    assert r.baseline.schedule == [["a1", "b1"]] and r.changed.schedule == []
    moved = {(c.kind, c.party): c for c in r.constraints}
    assert set(moved) == {("stage", "b"), ("final-overt", "b")}
    stage = moved[("stage", "b")]
    assert stage.slack_before == pytest.approx(1.0) and stage.slack_after == pytest.approx(-0.5)
    assert stage.holds_before and not stage.holds_after and stage.stage == 1
    assert stage.schedule == "the deal of tiny as the file sets it (also proposal both)"
    assert "stage 1 (A's favour and B's favour) no longer pays B: slack 1.00 → -0.50" in stage.sentence
    assert [(p.proposal, p.before, p.after) for p in r.proposals] == [("both", True, False)]
    assert r.reversals == [] and r.acceptance == []
    assert r.summary[1] == "The deal (A: A's favour; B: B's favour) is gone: no self-enforcing deal."


def test_a_reversal_that_stops_paying(folder: Path) -> None:
    """c 1 → 0: undoing a1 no longer pays a (it saves nothing), so a's snapback threat is gone;
    b would keep a1 for good, the deal shrinks to a1 alone."""
    r = api.compare(folder / "tiny.toml", {"c": 0.0})
    assert [(x.move, x.owner, x.pays_before, x.pays_after) for x in r.reversals] == [("a1", "a", True, False)]
    assert r.changed.schedule == [["a1"]]
    assert r.stages_added == [["a1"]] and r.stages_removed == [["a1", "b1"]]
    moved = {(c.schedule, c.kind, c.party): (c.slack_before, c.slack_after) for c in r.constraints}
    both = "the deal of tiny as the file sets it (also proposal both)"
    alone = "the deal of tiny with c=0"
    # b's deviation now keeps a1 forever: D_b = 2w = 6 against V_b = 4
    assert moved[(both, "stage", "b")] == pytest.approx((1.0, -2.0))
    # a1 alone: a's slack goes from 3 − 2c − 2 = −1 (it would undo a1) to +1
    assert moved[(alone, "stage", "a")] == pytest.approx((-1.0, 1.0))
    assert "Undoing A's favour no longer pays A" in r.reversals[0].sentence


def test_cheating_mid_way_that_starts_to_pay(folder: Path) -> None:
    """The worked example's path check (docs/model.md, "Worked examples"): in [[a1, b1, b2]] b may
    pretend to perform b2 at stage 1. With q = b2's detection, u_b = 0, gain 1 (b2's cost saved)
    and Pun = −2·5 − 1/0.2 = −15 (b1 stays, a undoes a1 at once, the penalty forever):
    X(2) = (1 + 0.8·q·(−15))/(1 − 0.8(1 − q)), X(1) = 0.8(q·(−15) + (1 − q)·X(2)) + 1 against
    V_b = −1: slack 4.91 at q = 0.3, and −1 − 5/3 = −2.67 at q = 0.05."""
    r = api.compare(folder / "worked.toml", {"b2_detection": 0.05})
    assert r.same_deal and r.proposals == []
    path = {(c.schedule, c.kind, c.stage, c.party): c for c in r.constraints}
    c = path[("proposal all-at-once", "path-covert", 1, "b")]
    assert c.slack_before == pytest.approx(4.909, abs=1e-3) and c.slack_after == pytest.approx(-8 / 3)
    assert c.cheat == ["b2"] and "cheating in secret on b2 from stage 1 now pays B" in c.sentence
    assert {k[1] for k in path} == {"path-covert"}  # nothing else changed sign


def test_the_same_deal(folder: Path) -> None:
    r = api.compare(folder / "tiny.toml", {"w": 3.5})
    assert r.same_deal and r.constraints == [] and r.reversals == [] and r.proposals == []
    assert r.summary[1].startswith("The deal is the same: A: A's favour; B: B's favour. Values: A 2.00 → 2.00, B 4.00 → 5.00.")
    assert r.summary[2].startswith("No constraint")


def test_a_type_that_leaves_the_acceptance_set(folder: Path) -> None:
    """gain 1 → 3: A's opening goes from small (both types take it) to big (the cool type refuses)."""
    r = api.compare(folder / "screen.toml", {"gain": 3.0}, against_overrides={"gain": 1.0})
    assert len(r.acceptance) == 1
    change = r.acceptance[0]
    assert change.opening_before == [["a1", "b1"]] and change.opening_after == [["a1", "b1", "b2"]]
    assert change.left == ["cool"] and change.joined == []
    assert "the cool B no longer takes it" in change.sentence
    back = api.compare(folder / "screen.toml", {"gain": 1.0})  # against the file's 3
    assert back.acceptance[0].joined == ["cool"] and back.acceptance[0].left == []
    assert back.changed.openings == {"-": [["a1", "b1"]]} and back.baseline.openings == {"-": [["a1", "b1", "b2"]]}


def test_the_opening_tips_at_the_hand_worked_gain(folder: Path) -> None:
    """The same threshold, found by `tipping`: the opening flips down at gain = 1."""
    result = api.tipping(folder / "screen.toml", parameters=["gain"], workers=1)
    flip = next(p for p in result.points if (p.verdict, p.direction) == ("opening", "down"))
    assert flip.flip is not None and 1 - 6e-3 <= flip.flip <= 1
    assert flip.after == "A opens with A: A's favour; B: B's small favour"


def test_two_files(folder: Path) -> None:
    r = api.compare(folder / "tiny-low.toml", against=folder / "tiny.toml")
    assert r.changed.label == str(folder / "tiny-low.toml") and r.baseline.label == str(folder / "tiny.toml")
    assert [(p.parameter, p.before, p.after) for p in r.parameters] == [("w", 3.0, 1.5)]
    assert not r.changed.deal and r.baseline.deal


@pytest.mark.parametrize(
    ("args", "parsed"),
    [
        (["s.toml", "--set", "a=1"], ("s.toml", ["a=1"], None, [])),
        (["s.toml", "--set", "a=1", "--against", "--set", "a=2"], ("s.toml", ["a=1"], None, ["a=2"])),
        (["s.toml", "--set=a=1", "--against", "o.toml"], ("s.toml", ["a=1"], "o.toml", [])),
        (["s.toml", "o.toml"], ("s.toml", [], "o.toml", [])),
    ],
)
def test_grammar(args: list[str], parsed: tuple[object, ...]) -> None:
    assert parse_compare(args) == parsed


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([], "name the scenario to compare"),
        (["--against", "s.toml"], "name the scenario to compare"),  # after --against: the other side's
        (["s.toml"], "nothing to compare"),
        (["s.toml", "--set"], "--set: needs NAME=VALUE"),
        (["s.toml", "--against", "--against"], "--against: given twice"),
        (["s.toml", "a.toml", "b.toml"], "at most two scenarios"),
        (["s.toml", "--bogus"], "--bogus: unknown option"),
    ],
)
def test_grammar_errors(args: list[str], words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_compare(args)
    assert words in str(err.value) and "\n" not in str(err.value)


def _detente(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "detente.cli.app", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def test_command_and_json(folder: Path) -> None:
    out = _detente("compare", "tiny.toml", "--set", "w=1.5", "--against", "--set", "w=3", cwd=folder)
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "tiny with w=1.5 against tiny with w=3" in text
    assert "In the deal of tiny with w=3 (also proposal both), stage 1 (A's favour and B's favour) no longer pays B" in text
    assert all(len(line) <= 80 for line in out.stdout.splitlines())
    out = _detente("compare", "tiny.toml", "--set", "c=0", "--json", cwd=folder)
    data = json.loads(out.stdout)
    assert set(data) == {
        "baseline", "changed", "parameters", "same_deal", "stages_added", "stages_removed", "constraints",
        "reversals", "acceptance", "proposals", "summary",
    }
    assert data["reversals"][0]["move"] == "a1" and data["changed"]["overrides"] == {"c": 0.0}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["tiny.toml"], "tiny.toml: --set: nothing to compare"),
        (["tiny.toml", "--set", "w=9"], "--set w: 9 is outside the parameter's domain [0, 4]"),
        (["tiny.toml", "--set", "zz=1"], "--set zz: unknown parameter"),
        (["tiny.toml", "--against", "missing.toml"], "missing.toml: no such file or library scenario"),
        (["tiny.toml", "--set", "w=1", "--oops"], "compare: --oops: unknown option"),
    ],
)
def test_one_line_errors(folder: Path, args: list[str], needle: str) -> None:
    out = _detente("compare", *args, cwd=folder)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and needle in out.stderr and "Traceback" not in out.stderr
