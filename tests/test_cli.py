"""The CLI's JSON output: the keys the issue promises, on the worked example."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_worked_example import WORKED


def _detente(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "detente.cli.app", *args], capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "worked.toml"
    path.write_bytes(WORKED)
    return path


def test_solve_json(worked: Path) -> None:
    out = _detente("solve", str(worked), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["scenario"] == "worked-example"
    assert data["deal"] is True
    assert data["schedule"] == [["a1"], ["b2"], ["b1"]]
    assert data["values"] == pytest.approx({"a": 35.4, "b": 3.8})
    assert data["disagreement"] == {"a": 0.0, "b": 0.0}


def test_audit_json(worked: Path) -> None:
    out = _detente("audit", str(worked), "--stages", "a1;b1,b2", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["feasible"] is True
    rows = {(r["stage"], r["party"]): r for r in data["stages"]}
    assert set(rows[(2, "a")]) >= {"stage", "party", "comply", "deviate", "slack"}
    assert rows[(2, "a")]["slack"] == pytest.approx(4.0)
    assert rows[(1, "b")]["deviate"] is None and rows[(1, "b")]["slack"] is None
    assert data["final"]["stable"] is True
    assert data["final"]["slack"] == pytest.approx(4.0)


def test_run_prints_the_analysis(worked: Path) -> None:
    out = _detente("run", str(worked))
    assert out.returncode == 0, out.stderr
    assert "self-enforcing deal" in out.stdout
    assert "What binds" in out.stdout


def test_run_default_is_hanoi() -> None:
    out = _detente("run", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["scenario"] == "hanoi-2019"
    assert {p["proposal"] for p in data["proposals"]} == {"dprk-hanoi-offer", "us-big-deal"}
