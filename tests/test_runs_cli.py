"""``detente runs``: list, show, export and diff through the command line."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from detente.cli.runs import runs_app
from detente.errors import DetenteError
from detente.store import RunStore, StoreError, default_store_path

app = typer.Typer()
app.add_typer(runs_app, name="runs")
runner = CliRunner()


def _run(*args: str, width: int = 200) -> tuple[int, str, str]:
    """Exit code, stdout and stderr as the real ``detente`` prints them (errors: one line, 2)."""
    result = runner.invoke(app, ["runs", *args], env={"COLUMNS": str(width)})
    if isinstance(result.exception, DetenteError):
        return 2, result.stdout, f"error: {result.exception}\n"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _record(store: RunStore, leakage: float, p: float, seconds: float = 1.0) -> str:
    overrides = {} if leakage == 0.35 else {"leakage": leakage}
    rid = store.begin(
        "simulate",
        "hanoi-2019",
        "sha256:abc",
        "[scenario]\nid = 'hanoi-2019'\n",
        {"leakage": leakage},
        overrides,
        0,
        {"samples": 1000, "strategies": ["summit-first", "working-2"]},
        "0.1.0",
    )
    rows: list[dict[str, Any]] = [
        {"strategy": "summit-first", "p_signed": p, "summits": 2},
        {"strategy": "working-2", "p_signed": 0.25, "summits": 1},
    ]
    store.finish(
        rid,
        "complete",
        seconds,
        {"seconds": seconds, "strategies": [{"strategy": r["strategy"], "p": r["p_signed"]} for r in rows]},
        {"strategies": rows},
    )
    return rid


@pytest.fixture
def store() -> RunStore:
    return RunStore(default_store_path())  # the per-test DETENTE_STORE from conftest


def test_list_of_a_missing_store_says_so_and_creates_nothing(store: RunStore) -> None:
    code, out, _ = _run("list")
    assert code == 0
    assert out.replace("\n", "") == f"no runs in {store.path}"
    assert not store.path.exists()
    code, out, _ = _run("list", "--json")
    assert code == 0 and json.loads(out) == {"store": str(store.path), "runs": []}


def test_list_shows_runs_newest_first(store: RunStore) -> None:
    a = _record(store, 0.35, 0.5)
    b = _record(store, 0.7, 0.75)
    running = store.begin("solve", "jcpoa-2015", "h", "toml", {}, {}, None, {}, "0.1.0")
    code, out, _ = _run("list")
    assert code == 0
    lines = [line for line in out.splitlines() if re.match(r"^ ?[0-9a-f]{12} ", line)]
    assert [line.split()[0] for line in lines] == [running, b, a]
    assert "leakage=0.7" in lines[1] and "samples=1000" in lines[1] and "complete" in lines[1]
    assert "2 strategies" in lines[1]
    assert "running" in lines[0] and "jcpoa-2015" in lines[0]
    code, out, _ = _run("list", width=60)  # a narrow terminal wraps cells but keeps whole ids
    assert code == 0
    firsts = [line.split()[0] for line in out.splitlines() if re.match(r"^ ?[0-9a-f]{12} ", line)]
    assert firsts == [running, b, a]
    code, out, _ = _run("list", "--kind", "simulate", "--limit", "1", "--json")
    runs = json.loads(out)["runs"]
    assert [r["id"] for r in runs] == [b] and runs[0]["overrides"] == {"leakage": 0.7}


def test_list_with_store_option(tmp_path: Path) -> None:
    other = RunStore(tmp_path / "elsewhere.duckdb")
    rid = _record(other, 0.35, 0.5)
    code, out, _ = _run("list", "--store", str(other.path), "--json")
    assert code == 0 and [r["id"] for r in json.loads(out)["runs"]] == [rid]
    code, out, _ = _run("list")
    assert "no runs in" in out


def test_show(store: RunStore) -> None:
    rid = _record(store, 0.7, 0.75)
    code, out, _ = _run("show", rid[:6])
    assert code == 0
    assert rid in out and "complete" in out and "hanoi-2019 (sha256:abc)" in out
    assert "leakage=0.7" in out and "strategies=2" in out
    assert '"p": 0.75' in out
    code, out, _ = _run("show", rid, "--json")
    shown = json.loads(out)
    assert shown["id"] == rid and shown["tables"] == {"strategies": 2}
    assert shown["result"]["strategies"][0] == {"strategy": "summit-first", "p": 0.75}
    code, out, _ = _run("show", rid, "--scenario")
    assert code == 0 and out == "[scenario]\nid = 'hanoi-2019'\n"


def test_show_of_a_run_without_result(store: RunStore) -> None:
    rid = store.begin("solve", "jcpoa-2015", "h", "toml", {}, {}, None, {}, "0.1.0")
    code, out, _ = _run("show", rid)
    assert code == 0 and "no result: the run is running" in out


def test_export_parquet_and_csv(store: RunStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rid = _record(store, 0.35, 0.5)
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run("export", rid[:5])
    assert code == 0 and out == f"{tmp_path / f'{rid}.parquet'}\n"
    with duckdb.connect() as con:
        rows = con.execute(f"SELECT * FROM '{tmp_path / f'{rid}.parquet'}'").fetchall()
    assert rows == [("summit-first", 0.5, 2), ("working-2", 0.25, 1)]
    target = tmp_path / "out" / "s.csv"
    code, out, _ = _run(
        "export", rid, "--format", "csv", "--output", str(target), "--table", "strategies", "--json"
    )
    assert code == 0 and json.loads(out)["paths"] == [str(target)]
    assert target.read_text().splitlines() == [
        "strategy,p_signed,summits",
        "summit-first,0.5,2",
        "working-2,0.25,1",
    ]


def test_diff(store: RunStore) -> None:
    a = _record(store, 0.35, 0.5, seconds=1.0)
    b = _record(store, 0.7, 0.75, seconds=2.0)
    code, out, _ = _run("diff", a, b)
    assert code == 0
    assert "parameters.leakage" in out and "overrides.leakage" in out and "(absent)" in out
    line = next(x for x in out.splitlines() if "strategies[summit-first].p" in x)
    assert "0.5" in line and "0.75" in line and "+0.25" in line
    assert "seconds" not in out
    code, out, _ = _run("diff", a, b, "--timings", "--json")
    data = json.loads(out)
    assert data["identical"] is False
    assert "seconds" in {d["key"] for d in data["results"]}
    c = _record(store, 0.35, 0.5, seconds=3.0)
    code, out, _ = _run("diff", a, c)
    assert code == 0 and out.splitlines()[-1] == "no differences"


def test_errors_are_one_line_naming_the_store_and_run(store: RunStore, tmp_path: Path) -> None:
    code, _, err = _run("show", "abcd")
    assert (code, err) == (2, f"error: {store.path}: run abcd: no such run\n")
    _record(store, 0.35, 0.5)
    code, _, err = _run("diff", "abcd", "ffff")
    assert code == 2 and err.endswith("run abcd: no such run\n")
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database\n")
    code, _, err = _run("list", "--store", str(bad))
    assert (code, err) == (2, f"error: {bad}: is not a detente run store (not a DuckDB database file)\n")
    code, _, err = _run("export", "abcd", "--store", str(bad))
    assert code == 2 and err.count("\n") == 1


def test_bad_options_are_usage_errors(store: RunStore) -> None:
    rid = _record(store, 0.35, 0.5)
    code, _, _ = _run("export", rid, "--format", "xlsx")
    assert code == 2
    code, _, _ = _run("list", "--limit", "0")
    assert code == 2


def test_help_lists_the_commands() -> None:
    code, out, _ = _run("--help")
    assert code == 0
    for command in ("list", "show", "export", "diff"):
        assert command in out


def test_store_error_is_a_detente_error() -> None:
    assert issubclass(StoreError, DetenteError)
    assert os.environ["DETENTE_STORE"] == str(default_store_path())
