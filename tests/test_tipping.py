"""Tipping points (docs/model.md, "Tipping points, sweeps and comparisons"): hand-worked flips on
a tiny scenario, a brute-force fine grid against the bisection on the worked example and on
random scenarios, the offers verdicts, the JSON shape, the workers and one-line errors."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

import detente
from detente import api
from detente.analysis.tipping import grid, search_range
from detente.errors import ScenarioError
from test_worked_example import WORKED

# Two reversible favours, δ = 0.5 for both (a(∞) = 2), a's penalty 1, b's none. With both
# favours in one stage: V_a = 2(2 − c), D_a = 2·a(1) − 1 = 1 (b snaps back b1 after one
# period), so a's slack is 3 − 2c; V_b = 2(w − k), D_b = w·a(1) = w, so b's slack is w − 2k
# (the final agreement's slacks are the same). Every schedule that ends with both favours needs
# both, and one ending with a single favour is not stable, so at k = 1 a deal exists iff w ≥ 2
# and c ≤ 1.5 (and k ≤ 1.5 at c = 1) — except at c = 0, where a1 costs a nothing: undoing it
# no longer pays a, a's threat is gone, b's deviation keeps a1 forever (D_b = 2w > V_b) and the
# deal is a1 alone (and the same for b at k = 0).
TINY = """
[scenario]
id = "tiny"
title = "Two reversible favours"

[parameters]
w = { value = 3.0, min = 0, max = 4, note = "what a1 is worth to b per period" }
c = { value = 1.0, min = 0, max = 3, note = "what a1 costs a per period" }
k = { value = 1.0, min = 0, max = 3, note = "what b1 costs b per period" }

[[parties]]
id = "a"
name = "A"
discount = 0.5
defection_penalty = 1.0

[[parties]]
id = "b"
name = "B"
discount = 0.5

[[moves]]
id = "a1"
owner = "a"
label = "A's favour"
cost = "c"
value = { b = "w" }
reversible = true

[[moves]]
id = "b1"
owner = "b"
label = "B's favour"
cost = "k"
value = { a = 2 }
reversible = true

[[proposals]]
id = "both"
label = "Both at once"
stages = [["a1", "b1"]]
"""

# The same under protocol "offers": A proposes; B keen (b1 costs it 0.5) or cool (1.5).
OFFERS = TINY + """
[[types]]
party = "b"
id = "keen"
prior = 0.6
parameters = { k = 0.5 }

[[types]]
party = "b"
id = "cool"
prior = 0.4
parameters = { k = 1.5 }

[bargaining]
protocol = "offers"
proposer = "a"
rounds = 2
"""

# The worked example with b2's detection as a parameter without a domain (searched over [0, 0.6])
# and a's penalty with one.
WORKED_PARAMS = (
    WORKED.decode()
    .replace('[[parties]]\nid = "a"', '[parameters]\nb2_detection = { value = 0.3 }\npenalty_a = { value = 1.5, min = 0, max = 6 }\n\n[[parties]]\nid = "a"', 1)
    .replace("defection_penalty = 1.5", 'defection_penalty = "penalty_a"')
    .replace("verifiability = 0.3", 'verifiability = "b2_detection"')
    + '\n[[proposals]]\nid = "all-at-once"\nstages = [["a1", "b1", "b2"]]\n'
    + '\n[[proposals]]\nid = "a-first"\nstages = [["a1"], ["b1", "b2"]]\n'
)


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tipping")


def flips(result: detente.TippingResult) -> dict[tuple[str, str, str], float | None]:
    return {(p.verdict, p.parameter, p.direction): p.flip for p in result.points}


def test_hand_worked_flips(folder: Path) -> None:
    result = api.tipping(write(folder, "tiny.toml", TINY), workers=1)
    f = flips(result)
    tol_w, tol_c = 1e-3 * 4, 1e-3 * 3  # precision × the range's width
    for verdict in ("deal", "first-stage", "proposal:both"):
        flip = f[(verdict, "w", "down")]  # b's slack w − 2 turns negative below 2
        assert flip is not None and 2 - tol_w <= flip < 2
        flip = f[(verdict, "c", "up")]  # a's slack 3 − 2c turns negative above 1.5
        assert flip is not None and 1.5 < flip <= 1.5 + tol_c
        assert f[(verdict, "w", "up")] is None  # w up to 4 only helps b
    # at c = 0 exactly, undoing a1 no longer pays a: both at once fails, the deal is a1 alone
    assert f[("proposal:both", "c", "down")] == 0.0
    assert f[("first-stage", "c", "down")] == 0.0
    assert f[("deal", "c", "down")] is None
    point = next(p for p in result.points if (p.verdict, p.parameter, p.direction) == ("first-stage", "c", "down"))
    assert point.after == "the deal starts with A: A's favour"
    assert point.change == -1.0 and point.relative == -1.0 and point.share == pytest.approx(1 / 3)
    up = next(p for p in result.points if (p.verdict, p.parameter, p.direction) == ("deal", "c", "up"))
    assert up.change == pytest.approx(up.flip - 1.0) and up.relative == pytest.approx(up.flip - 1.0)
    assert up.after == "no self-enforcing deal"
    flip = f[("deal", "k", "up")]  # b's slack w − 2k turns negative above 1.5
    assert flip is not None and 1.5 < flip <= 1.5 + tol_c
    assert f[("first-stage", "k", "down")] == 0.0
    # the nearest distinct flips: c and k up (0.5 of a range of 3, in file order), then w down (1 of 4)
    order = list(dict.fromkeys((p.parameter, p.direction) for p in result.closest))
    assert order == [("c", "up"), ("k", "up"), ("w", "down")]
    assert len(result.closest) == 9  # the three verdicts flip at each
    assert [v.verdict for v in result.verdicts] == ["deal", "first-stage", "proposal:both"]


def test_grid_and_ranges(folder: Path) -> None:
    assert grid(0.35, 0.0, 1.0, 20, 1) == pytest.approx([0.35 + 0.05 * k for k in range(1, 13)] + [1.0])
    assert grid(0.35, 0.0, 1.0, 20, -1) == pytest.approx([0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.0])
    assert grid(1.0, 0.0, 1.0, 20, 1) == []  # at the end of the range: nothing above
    sc = api.load(write(folder, "worked-params.toml", WORKED_PARAMS))
    r = search_range(sc, "b2_detection")  # no domain: [0, 2·value]
    assert (r.low, r.high) == (0.0, 0.6) and r.basis.startswith("no domain")
    r = search_range(sc, "penalty_a")
    assert (r.low, r.high) == (0.0, 6.0) and r.basis == "domain [0, 6]"
    hanoi = api.load("hanoi-2019")
    r = search_range(hanoi, "un_bite")  # domain [0, inf): up to twice the value
    assert (r.low, r.high) == (0.0, 16.0) and "twice the value above" in r.basis


def _brute(path: Path, name: str, x: float) -> dict[str, object]:
    """The verdicts at one point by the full commands' functions (`solve`, `audit`)."""
    sc = api.load(path, {name: x})
    solved = api.solve(sc)
    out: dict[str, object] = {"deal": solved.deal, "first-stage": tuple(solved.schedule[0]) if solved.deal else None}
    for p in sc.proposals:
        out[f"proposal:{p.id}"] = api.audit(sc, proposal=p.id).self_enforcing_deal
    return out


def check_against_fine_grid(path: Path, fine: int = 200) -> int:
    """Along every parameter and direction, the first point of a grid ``fine`` steps across the
    range where a verdict differs lies within one fine step of the bisected flip (or neither
    finds one). Returns the number of flips checked."""
    result = api.tipping(path, workers=1)
    sc = api.load(path)
    base = {}
    solved = api.solve(sc)
    base["deal"] = solved.deal
    base["first-stage"] = tuple(solved.schedule[0]) if solved.deal else None
    for p in sc.proposals:
        base[f"proposal:{p.id}"] = api.audit(sc, proposal=p.id).self_enforcing_deal
    found = flips(result)
    checked = 0
    for r in result.parameters:
        step = (r.high - r.low) / fine
        tol = result.precision * (r.high - r.low)
        for direction, sign in (("down", -1), ("up", 1)):
            first: dict[str, float] = {}
            for x in grid(r.value, r.low, r.high, fine, sign):
                verdicts = _brute(path, r.parameter, x)
                for k, v in verdicts.items():
                    if k not in first and v != base[k]:
                        first[k] = x
                if len(first) == len(base):
                    break
            for k in base:
                flip = found[(k, r.parameter, direction)]
                if k not in first:
                    assert flip is None, (k, r.parameter, direction, flip)
                    continue
                assert flip is not None, (k, r.parameter, direction, first[k])
                assert abs(flip - first[k]) <= step + tol + 1e-12, (k, r.parameter, direction, flip, first[k])
                checked += 1
    return checked


def test_worked_example_against_a_fine_grid(folder: Path) -> None:
    assert check_against_fine_grid(write(folder, "worked-params.toml", WORKED_PARAMS)) >= 2


def random_scenario(seed: int) -> str:
    """A small random scenario whose numbers depend on three parameters (x and y with domains,
    z without)."""
    rnd = random.Random(seed)
    x, y, z = round(rnd.uniform(0.5, 3.0), 2), round(rnd.uniform(0.2, 0.8), 2), round(rnd.uniform(0.5, 2.0), 2)
    lines = [
        "[scenario]", f'id = "random-{seed}"', 'title = "random"', "",
        "[parameters]",
        f"x = {{ value = {x}, min = 0, max = 4 }}",
        f"y = {{ value = {y}, min = 0, max = 1 }}",
        f"z = {{ value = {z} }}", "",
    ]
    for pid in ("a", "b"):
        lines += [
            "[[parties]]", f'id = "{pid}"', f'name = "{pid.upper()}"',
            f"discount = {rnd.choice([0.6, 0.7, 0.8, 0.9])}",
            f"unreciprocated_cost = {rnd.choice([0, 0.5, 1])}",
            f'defection_penalty = "{rnd.choice(["z", "0.5 * z", "1"])}"', "",
        ]
    moves = []
    for i in range(4):
        owner, other = ("a", "b") if i % 2 == 0 else ("b", "a")
        mid = f"m{i}"
        moves.append(mid)
        reversible = rnd.random() < 0.7
        lines += [
            "[[moves]]", f'id = "{mid}"', f'owner = "{owner}"', f'label = "Move {i}"',
            f'cost = "{rnd.choice(["x", "1", "0.5 * x", "2 - y"])}"',
            f'value = {{ {other} = "{rnd.choice(["x + 1", "3", "2 * y + 1", "z + 1"])}" }}',
            f"reversible = {'true' if reversible else 'false'}",
        ]
        if reversible:
            lines.append(f"reversal_cost = {rnd.choice([0, 0.5])}")
        if rnd.random() < 0.4:
            lines.append('verifiability = "y"')
        lines.append("")
    lines += ["[[proposals]]", 'id = "one-stage"', f"stages = [{json.dumps(moves)}]", ""]
    lines += ["[[proposals]]", 'id = "two-stages"', f"stages = [{json.dumps(moves[:2])}, {json.dumps(moves[2:])}]", ""]
    return "\n".join(lines)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_scenarios_against_a_fine_grid(folder: Path, seed: int) -> None:
    assert check_against_fine_grid(write(folder, f"random-{seed}.toml", random_scenario(seed)), fine=100) >= 4


def test_offers_verdicts_against_a_fine_grid(folder: Path) -> None:
    """The opening and each path's deal, against `api.offers` on a fine grid; k is set by the
    types in every world, so the offers verdicts cannot depend on it (and are not searched)."""
    path = write(folder, "tiny-offers.toml", OFFERS)
    result = api.tipping(path, workers=1)
    assert result.offers
    assert next(r for r in result.parameters if r.parameter == "k").offers_fixed
    assert any("cannot depend on k" in n for n in result.notes)
    found = flips(result)
    assert found[("opening", "k", "up")] is None and found[("path:-/keen", "k", "down")] is None

    def verdicts(name: str, x: float) -> dict[str, object]:
        off = api.offers(api.load(path, {name: x}))
        view = off.by_proposer_type[0]
        out: dict[str, object] = {"opening": view.opening}
        out.update({f"path:-/{p.responder_type}": p.deal is not None for p in view.paths})
        return out

    base = verdicts("w", 3.0)
    checked = 0
    for name, value, width in (("w", 3.0, 4.0), ("c", 1.0, 3.0)):
        step = width / 100
        for direction, sign in (("down", -1), ("up", 1)):
            first: dict[str, float] = {}
            for x in grid(value, 0.0, width, 100, sign):
                for k, v in verdicts(name, x).items():
                    if k not in first and v != base[k]:
                        first[k] = x
                if len(first) == len(base):
                    break
            for k in base:
                flip = found[(k, name, direction)]
                if k not in first:
                    assert flip is None
                else:
                    assert flip is not None and abs(flip - first[k]) <= step + 1e-3 * width
                    checked += 1
    assert checked >= 4  # w down (A offers nothing below 1) and c up, for the opening and both paths


def test_workers_do_not_change_the_answer(folder: Path) -> None:
    path = write(folder, "random-4.toml", random_scenario(4))
    one = api.tipping(path, workers=1).model_dump(exclude={"seconds", "executor", "workers"})
    two = api.tipping(path, workers=2).model_dump(exclude={"seconds", "executor", "workers"})
    assert one == two


def test_parameters_and_errors(folder: Path) -> None:
    path = write(folder, "tiny.toml", TINY)
    only = api.tipping(path, parameters=["w"], workers=1)
    assert {p.parameter for p in only.points} == {"w"}
    for kwargs, key, words in (
        ({"parameters": ["zz"]}, "parameters", "unknown parameter 'zz'"),
        ({"steps": 0}, "steps", "must lie in [1, 1000]"),
        ({"precision": 0.5}, "precision", "must lie in (0, 0.1]"),
    ):
        with pytest.raises(ScenarioError) as err:
            api.tipping(path, workers=1, **kwargs)  # type: ignore[arg-type]
        assert err.value.key == key and words in str(err.value) and "\n" not in str(err.value)


def _detente(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "detente.cli.app", *args], capture_output=True, text=True, timeout=300)


def test_json_shape(folder: Path) -> None:
    out = _detente("tipping", str(write(folder, "tiny.toml", TINY)), "--json", "--workers", "1")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {
        "scenario", "protocol", "parameters", "verdicts", "points", "closest", "steps", "precision", "offers",
        "evaluations", "notes", "executor", "workers", "seconds",
    }
    assert set(data["points"][0]) == {
        "verdict", "parameter", "direction", "value", "flip", "change", "relative", "share", "after", "sentence",
    }
    assert len(data["points"]) == 3 * 3 * 2  # verdicts × parameters × directions
    assert set(data["parameters"][0]) == {"parameter", "value", "low", "high", "basis", "offers_fixed"}
    assert data["steps"] == 20 and data["precision"] == 0.001 and data["workers"] == 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--parameter", "zz"], "parameters: unknown parameter 'zz'"),
        (["--steps", "0"], "steps: must lie in [1, 1000]"),
        (["--precision", "-1"], "precision: must lie in (0, 0.1]"),
        (["--workers", "0"], "--workers: must be at least 1"),
        (["--set", "w=9"], "--set w: 9 is outside the parameter's domain [0, 4]"),
    ],
)
def test_one_line_errors(folder: Path, args: list[str], needle: str) -> None:
    out = _detente("tipping", str(write(folder, "tiny.toml", TINY)), *args)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and needle in out.stderr and "Traceback" not in out.stderr


def test_run_ends_with_the_closest_flips(folder: Path) -> None:
    out = _detente("run", str(write(folder, "tiny.toml", TINY)))
    assert out.returncode == 0, out.stderr
    tail = " ".join(out.stdout[out.stdout.index("Tipping points: the 3 closest") :].split())
    assert "c 1 1.502 +0.502 (+50%) no self-enforcing deal; Both at once fails" in tail
    assert "k 1 1.502 +0.502 (+50%)" in tail and "w 3 1.997 -1.003 (-33%)" in tail
    assert all(len(line) <= 80 for line in out.stdout.splitlines())
    quiet = _detente("run", str(folder / "tiny.toml"), "--no-tipping")
    assert "Tipping points" not in quiet.stdout


def test_run_leaves_a_costly_search_to_tipping(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`run` estimates the search from the size of the solver's frontiers (the same on every
    machine) and leaves it to `detente tipping` past its budget; without parameters it says nothing."""
    from typer.testing import CliRunner

    from detente.cli import validation
    from detente.cli.app import app

    path = write(folder, "tiny.toml", TINY)
    monkeypatch.setattr(validation, "RUN_BUDGET", 0.0)
    out = CliRunner().invoke(app, ["run", str(path)])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "Tipping points: left to `detente tipping --no-offers` for this scenario (about 84 exact solves" in text
    bare = write(folder, "bare.toml", WORKED.decode())
    out = CliRunner().invoke(app, ["run", str(bare)])
    assert out.exit_code == 0 and "Tipping points" not in out.output


def test_text_fits_80_columns_without_cutting_a_number(folder: Path) -> None:
    out = _detente("tipping", str(write(folder, "tiny-offers.toml", OFFERS)), "--workers", "1")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines) and "…" not in out.stdout
    rows = [line.split() for line in lines if line.strip().startswith(("w ", "c ", "k "))]
    assert ["w", "3", "down", "1.997", "-1.003", "(-33%)", "no", "self-enforcing", "deal"] in rows
    assert any(r[:5] == ["w", "3", "down", "0.997", "-2.003"] for r in rows)  # the opening: no offer below w = 1
