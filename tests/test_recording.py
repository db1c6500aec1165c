"""simulate, sensitivity and solve record their runs in the store: what is
recorded, --no-store, a store that cannot be written fails before any work, a failed run is
never shown complete, and --set pins an uncertain parameter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from detente.scenario.loader import load_bytes
from detente.store import RunStore, default_store_path
from test_sensitivity import ONLY_C
from test_simulate import KNOWN


def _cli(*args: str, store: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if store is not None:
        env["DETENTE_STORE"] = str(store)
    return subprocess.run(
        [sys.executable, "-m", "detente", *args], capture_output=True, text=True, timeout=300, env=env
    )


@pytest.fixture()
def known(tmp_path: Path) -> Path:
    path = tmp_path / "known.toml"
    path.write_bytes(KNOWN)
    return path


def test_simulate_records_settings_result_and_table(known: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    out = _cli("simulate", str(known), "--samples", "30", "--seed", "4", "--workers", "1", "--json", "--store", str(store))
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout)
    (record,) = RunStore(store).list()
    assert out.stderr.strip() == f"recorded as run {record.id} in {store}"
    assert (record.kind, record.status, record.scenario_id, record.seed) == ("simulate", "complete", "known", 4)
    assert record.content_hash == printed["content_hash"]
    assert record.options["samples"] == 30 and record.options["workers"] == 1
    assert record.result is not None
    assert record.result["strategies"] == printed["strategies"]
    rows = RunStore(store).table(record.id, "strategies")
    assert [r["strategy"] for r in rows] == ["summit-first", "working-1", "working-2", "working-3"]
    assert rows[0]["p_signed"] == printed["strategies"][0]["p_signed"]["estimate"]
    assert RunStore(store).scenario_text(record.id) == KNOWN.decode()


def test_sensitivity_and_solve_are_recorded_too(tmp_path: Path) -> None:
    path = tmp_path / "only-c.toml"
    path.write_bytes(ONLY_C)
    store = tmp_path / "runs.duckdb"
    assert _cli("sensitivity", str(path), "--samples", "8", "--workers", "1", "--metric", "value:a", store=store).returncode == 0
    assert _cli("solve", "jcpoa-2015", "--set", "snapback_cost=2", store=store).returncode == 0
    solve, sens = RunStore(store).list()
    assert sens.kind == "sensitivity" and sens.options["method"] == "sobol" and sens.options["metric"] == "value:a"
    indices = RunStore(store).table(sens.id, "indices")
    assert {r["parameter"] for r in indices} == {"c", "z"} and all(r["metric"] == "value:a" for r in indices)
    assert solve.kind == "solve" and solve.overrides == {"snapback_cost": 2.0}
    assert solve.result is not None and solve.result["scenario"] == "jcpoa-2015"


def test_no_store_records_nothing(known: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    out = _cli("simulate", str(known), "--samples", "5", "--workers", "1", "--no-store", store=store)
    assert out.returncode == 0 and "recorded" not in out.stderr
    assert not store.exists()


def test_an_unwritable_store_fails_before_any_work(known: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = _cli("simulate", str(known), "--samples", "100000", "--workers", "1", "--store", str(blocker / "runs.duckdb"))
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: ") and "Traceback" not in out.stderr
    assert "histories" not in out.stdout  # nothing was computed


def test_a_run_that_fails_is_recorded_as_failed(tmp_path: Path) -> None:
    """A misreading that breaks the scenario fails the simulation half-way (exit 2): the store
    says failed, with the reason, and keeps no result table."""
    breaking = KNOWN.replace(b"misperception = 0.0", b"misperception = 3.0").replace(
        b"c = { value = 0.5 }", b"c = { value = 0.5 }\nv = { value = 0.9 }"
    ).replace(b'cost = "c"', b'cost = "c"\nverifiability = "v"')  # v has no range: read as 0.9·e^(3ε)
    path = tmp_path / "breaking.toml"
    path.write_bytes(breaking)
    load_bytes(breaking, "breaking.toml")  # valid as written
    store = tmp_path / "runs.duckdb"
    out = _cli("simulate", str(path), "--samples", "50", "--workers", "1", store=store)
    (record,) = RunStore(store).list()
    assert out.returncode == 2 and "verifiability" in out.stderr and out.stderr.count("\n") == 1
    assert record.status == "failed" and record.result is not None and "error" in record.result
    assert RunStore(store).table_names(record.id) == []


def test_set_pins_an_uncertain_parameter(known: Path) -> None:
    """--set on a parameter with a distribution holds it at that value: with c = 0.5 every
    history signs (1 − c ≥ 0), where c ~ U[0, 2] signs half of them."""
    sc = load_bytes(KNOWN, "known.toml", {"c": 0.5})
    assert sc.uncertainty is not None and sc.uncertainty.distributions == ()
    out = _cli("simulate", str(known), "--samples", "40", "--workers", "1", "--set", "c=0.5", "--json", "--no-store")
    data = json.loads(out.stdout)
    assert all(s["p_signed"]["estimate"] == 1.0 for s in data["strategies"])


def test_the_default_store_is_the_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETENTE_STORE", str(tmp_path / "x" / "runs.duckdb"))
    assert default_store_path() == tmp_path / "x" / "runs.duckdb"


def test_two_simulations_writing_at_once_both_land(known: Path, tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    cmd = [sys.executable, "-m", "detente", "simulate", str(known), "--samples", "25", "--workers", "1", "--store", str(store)]
    procs = [subprocess.Popen([*cmd, "--seed", str(i)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for i in range(3)]
    for p in procs:
        assert p.wait(timeout=300) == 0
    seeds = sorted(r.seed for r in RunStore(store).list() if r.status == "complete")
    assert seeds == [0, 1, 2]
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("select count(*) from runs").fetchone() == (3,)
