"""Sweeps (docs/model.md, "Tipping points, sweeps and comparisons"): the grid's points and order,
every row equal to single solves and audits, workers 1 and 2 giving the same frame, the files
written, and bad ranges refused in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from detente import api
from detente.analysis.sweep import parse_axes, points
from detente.errors import ScenarioError
from test_tipping import OFFERS, TINY


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sweep")
    (path / "tiny.toml").write_text(TINY, encoding="utf-8")
    (path / "tiny-offers.toml").write_text(OFFERS, encoding="utf-8")
    return path


def test_grid_points_and_order(folder: Path) -> None:
    sc = api.load(folder / "tiny.toml")
    axes = parse_axes(sc, ["w=0:1:0.5", "c=0,2"])
    assert [a.values for a in axes] == [[0.0, 0.5, 1.0], [0.0, 2.0]]
    assert points(axes) == [(0.0, 0.0), (0.0, 2.0), (0.5, 0.0), (0.5, 2.0), (1.0, 0.0), (1.0, 2.0)]
    # STOP is included when the steps reach it, without binary noise; not when they overshoot it
    assert parse_axes(sc, {"w": "0:0.9:0.1"})[0].values == [round(0.1 * i, 1) for i in range(10)]
    assert parse_axes(sc, {"w": "0:1:0.3"})[0].values == [0.0, 0.3, 0.6, 0.9]
    assert parse_axes(sc, {"c": [0.5, 1.5]})[0].values == [0.5, 1.5]


def test_rows_equal_single_solves(folder: Path) -> None:
    path = folder / "tiny.toml"
    frame = api.sweep(path, {"w": "1:4:1", "c": "0:2:1"}, workers=1)
    assert list(frame.columns) == [
        "w", "c", "deal", "schedule", "value:a", "value:b", "gain:a", "gain:b", "proposal:both",
    ]
    assert len(frame) == 4 * 3
    for row in frame.itertuples(index=False):
        values = dict(zip(frame.columns, row, strict=True))
        sc = api.load(path, {"w": values["w"], "c": values["c"]})
        solved = api.solve(sc)
        assert values["deal"] == solved.deal
        assert values["schedule"] == ";".join(",".join(s) for s in solved.schedule)
        for p in ("a", "b"):
            assert values[f"value:{p}"] == (solved.values or solved.disagreement)[p]
            assert values[f"gain:{p}"] == (solved.gains or {}).get(p, 0.0)
        assert values["proposal:both"] == api.audit(sc, proposal="both").self_enforcing_deal
    # the hand-worked region: both favours at once iff w ≥ 2 and 0 < c ≤ 1.5; a1 alone at c = 0
    deal = {(r.w, r.c): r.schedule for r in frame.itertuples()}
    assert deal[(2.0, 1.0)] == deal[(4.0, 1.0)] == "a1,b1"
    assert deal[(1.0, 1.0)] == "" and deal[(3.0, 2.0)] == ""
    assert deal[(1.0, 0.0)] == "a1"


def test_offers_columns_equal_the_offers_game(folder: Path) -> None:
    path = folder / "tiny-offers.toml"
    result = api.sweep_result(path, ["w=0.5:3:1.25"], workers=1)
    assert result.columns[-2:] == ["opening", "p_deal"]
    for row in result.rows:
        off = api.offers(api.load(path, {"w": float(row["w"])}))
        view = off.by_proposer_type[0]
        assert row["opening"] == ";".join(",".join(s) for s in view.opening or [])
        assert row["p_deal"] == pytest.approx(view.p_deal)
    assert [r["p_deal"] for r in result.rows] == [0.0, 1.0, 1.0]  # no offer below w = 1


def test_workers_give_the_same_frame(folder: Path) -> None:
    one = api.sweep(folder / "tiny.toml", ["w=0:4:0.5", "c=0:3:0.5"], workers=1)
    two = api.sweep(folder / "tiny.toml", ["w=0:4:0.5", "c=0:3:0.5"], workers=2)
    pd.testing.assert_frame_equal(one, two)
    result = api.sweep_result(folder / "tiny.toml", ["w=0:4:0.5", "c=0:3:0.5"], workers=2)
    assert [d.letter for d in result.deals] == ["-", "A", "B"]
    assert sum(d.points for d in result.deals) == 9 * 7


@pytest.mark.parametrize(
    ("axes", "words"),
    [
        (["w=0:5:1"], "w=0:5:1: 5 is outside the parameter's domain [0, 4]"),
        (["w=2:1:0.5"], "STOP 1 is below START 2"),
        (["w=0:1:0"], "the step must be positive"),
        (["w=0:1"], "expected START:STOP:STEP"),
        (["w=a:1:1"], "'a' is not a number"),
        (["zz=0:1:1"], "unknown parameter 'zz'"),
        (["w=0:1:1", "c=0:1:1", "k=0:1:1"], "sweep one or two parameters, not 3"),
        (["w=0:1:1", "w=0:2:1"], "w is swept twice"),
        (["w=0:4:0.0001"], "more than the 10,000 a sweep takes"),
        (["w"], "expected NAME=START:STOP:STEP"),
    ],
)
def test_bad_ranges_in_python(folder: Path, axes: list[str], words: str) -> None:
    with pytest.raises(ScenarioError) as err:
        api.sweep_result(folder / "tiny.toml", axes, workers=1)
    assert err.value.key == "axes" and words in str(err.value) and "\n" not in str(err.value)


def _detente(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "detente.cli.app", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["tiny.toml", "w=0:5:1"], "tiny.toml: axes: w=0:5:1: 5 is outside the parameter's domain [0, 4]"),
        (["tiny.toml", "w=1:0:1"], "STOP 0 is below START 1"),
        (["tiny.toml"], "name one or two parameters to sweep"),
        (["tiny.toml", "w=0:1:1", "--output", "out.txt"], "--output: write a .csv or a .parquet file"),
        (["tiny.toml", "w=0:1:1", "--workers", "0"], "--workers: must be at least 1"),
    ],
)
def test_bad_ranges_on_the_command_line(folder: Path, args: list[str], needle: str) -> None:
    out = _detente("sweep", *args, cwd=folder)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and needle in out.stderr and "Traceback" not in out.stderr


def test_files_and_json(folder: Path, tmp_path: Path) -> None:
    csv = tmp_path / "tiny.csv"
    out = _detente("sweep", str(folder / "tiny.toml"), "w=0:4:2", "c=1", "--output", str(csv), "--workers", "1")
    assert out.returncode == 0, out.stderr
    frame = pd.read_csv(csv)
    assert list(frame["w"]) == [0.0, 2.0, 4.0] and list(frame["deal"]) == [False, True, True]
    again = _detente("sweep", str(folder / "tiny.toml"), "w=0:4:2", "--output", str(csv))
    assert again.returncode == 2 and "exists; add --force to overwrite it" in again.stderr
    forced = _detente("sweep", str(folder / "tiny.toml"), "w=0:4:2", "--output", str(csv), "--force", "--workers", "1")
    assert forced.returncode == 0 and len(pd.read_csv(csv)) == 3
    parquet = tmp_path / "tiny.parquet"
    out = _detente("sweep", str(folder / "tiny.toml"), "w=0:4:2", "c=1", "--output", str(parquet), "--workers", "1")
    assert out.returncode == 0, out.stderr
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), api.sweep(folder / "tiny.toml", ["w=0:4:2", "c=1"], workers=1))
    out = _detente("sweep", str(folder / "tiny.toml"), "w=0:4:2", "--json", "--workers", "1")
    data = json.loads(out.stdout)
    assert set(data) == {"scenario", "protocol", "axes", "columns", "rows", "deals", "executor", "workers", "seconds"}
    assert data["axes"] == [{"parameter": "w", "values": [0.0, 2.0, 4.0]}]
    assert [r["deal"] for r in data["rows"]] == [False, True, True]


def test_table_and_map_fit_80_columns(folder: Path) -> None:
    out = _detente("sweep", "tiny.toml", "w=0:4:1", "c=0:3:0.5", "--workers", "1", cwd=folder)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines) and "…" not in out.stdout
    start = lines.index(next(line for line in lines if line.startswith("Which deal where")))
    assert lines[start + 1].split() == ["0", "0.5", "1", "1.5", "2", "2.5", "3"]
    assert lines[start + 4].split() == ["2", "A", "B", "B", "B", "-", "-", "-"]  # w = 2: both favours for 0 < c ≤ 1.5


def test_dask_gives_the_same_answers(folder: Path) -> None:
    """On a Dask LocalCluster (`--dask local`), the sweep and the tipping points are the serial ones."""
    pytest.importorskip("distributed")
    axes = ["w=0:4:1", "c=0:3:1"]
    pd.testing.assert_frame_equal(
        api.sweep(folder / "tiny.toml", axes, workers=1), api.sweep(folder / "tiny.toml", axes, workers=2, dask="local")
    )
    keep = {"seconds", "executor", "workers"}
    serial = api.tipping(folder / "tiny.toml", workers=1).model_dump(exclude=keep)
    assert api.tipping(folder / "tiny.toml", workers=2, dask="local").model_dump(exclude=keep) == serial
