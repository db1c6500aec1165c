"""The run store: round trips, ids, errors, export, diff, and real concurrent and killed writers."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path
from typing import Any

import duckdb
import pytest

import detente.store
from detente.store import RunStore, StoreError, default_store_path, flatten
from detente.store import db as store_db

SRC = str(Path(detente.store.__file__).resolve().parents[2])


def _begin(store: RunStore, **changes: Any) -> str:
    args: dict[str, Any] = {
        "kind": "simulate",
        "scenario_id": "hanoi-2019",
        "content_hash": "sha256:abc",
        "scenario_text": "[scenario]\nid = 'hanoi-2019'\n",
        "parameters": {"leakage": 0.35, "un_bite": 8.0},
        "overrides": {},
        "seed": 0,
        "options": {"samples": 100, "strategies": ["summit-first", "working-2"]},
        "version": "0.1.0",
    }
    args.update(changes)
    return store.begin(**args)


def _strategies(p: float = 0.5) -> list[dict[str, Any]]:
    return [
        {"strategy": "summit-first", "p_signed": p, "summits": 2, "ok": True, "note": None},
        {"strategy": "working-2", "p_signed": 0.25, "summits": 1, "ok": False, "note": "x, \"y\""},
    ]


def _result(p: float = 0.5, seconds: float = 1.0) -> dict[str, Any]:
    return {
        "scenario": "hanoi-2019",
        "seconds": seconds,
        "strategies": [
            {"strategy": s["strategy"], "p_signed": {"mean": s["p_signed"], "se": 0.01}}
            for s in _strategies(p)
        ],
    }


def _fixed_ids(monkeypatch: pytest.MonkeyPatch, *hexes: str) -> None:
    ids = iter(hexes)

    class FakeUuid:
        @staticmethod
        def uuid4() -> uuid.UUID:
            return uuid.UUID(next(ids).ljust(32, "0"))

    monkeypatch.setattr(store_db, "uuid", FakeUuid)


# -- paths ----------------------------------------------------------------------------------


def test_default_path_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETENTE_STORE", str(tmp_path / "mine.duckdb"))
    assert default_store_path() == tmp_path / "mine.duckdb"
    monkeypatch.delenv("DETENTE_STORE")
    assert default_store_path().name == "runs.duckdb"
    assert "detente" in default_store_path().parts[-2]


def test_the_test_suite_never_writes_the_real_store() -> None:
    assert os.environ["DETENTE_STORE"].endswith(".duckdb")
    assert "pytest" in os.environ["DETENTE_STORE"] or "tmp" in os.environ["DETENTE_STORE"]


# -- round trip -----------------------------------------------------------------------------


def test_begin_then_finish_round_trips(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "deep" / "dir" / "runs.duckdb")
    assert store.list() == []
    assert not store.path.exists(), "reading must not create the store"
    rid = _begin(store, overrides={"leakage": 0.7}, parameters={"leakage": 0.7})
    assert len(rid) == 12 and int(rid, 16) >= 0
    running = store.get(rid)
    assert running.status == "running"  # this very process is alive
    assert running.result is None and running.finished_at is None
    assert running.pid == os.getpid()
    store.finish(rid, "complete", 1.25, _result(), {"strategies": _strategies()})
    done = store.get(rid[:6])
    assert done.status == "complete"
    assert done.seconds == 1.25
    assert done.result == _result()
    assert done.parameters == {"leakage": 0.7} and done.overrides == {"leakage": 0.7}
    assert done.options["strategies"] == ["summit-first", "working-2"]
    assert done.started_at.tzinfo is not None and done.finished_at is not None
    assert done.finished_at >= done.started_at
    assert store.table(rid, "strategies") == _strategies()
    assert store.table_names(rid) == ["strategies"]
    assert store.table_sizes(rid) == {"strategies": 2}
    assert store.scenario_text(rid).startswith("[scenario]")


def test_list_is_newest_first_and_filters(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    ids = [_begin(store, kind=k) for k in ("simulate", "solve", "simulate", "sensitivity")]
    assert [r.id for r in store.list()] == ids[::-1]
    assert [r.id for r in store.list(kind="simulate")] == [ids[2], ids[0]]
    assert [r.id for r in store.list(limit=2)] == ids[:1:-1]
    assert store.list(kind="nothing") == []


def test_finish_refuses_a_second_finish_and_bad_statuses(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    rid = _begin(store)
    with pytest.raises(StoreError, match="status 'done' is not one of"):
        store.finish(rid, "done", 1.0, {}, {})
    store.finish(rid, "interrupted", 1.0, {"completed": 3}, {"empty": []})
    assert store.get(rid).status == "interrupted"
    assert store.table_names(rid) == []  # empty tables are not kept
    with pytest.raises(StoreError, match=r"run [0-9a-f]{12}: already finished \(interrupted\)"):
        store.finish(rid, "complete", 1.0, {}, {})
    with pytest.raises(StoreError, match="no such run"):
        store.finish("0123456789ab", "complete", 1.0, {}, {})


def test_finish_with_unjsonable_values_is_a_store_error(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    with pytest.raises(StoreError, match="options is not JSON"):
        _begin(store, options={"when": object()})
    rid = _begin(store)
    with pytest.raises(StoreError, match="table t is not JSON"):
        store.finish(rid, "complete", 1.0, {}, {"t": [{"x": {1, 2}}]})
    assert store.get(rid).status == "running"  # nothing was written


# -- ids and errors -------------------------------------------------------------------------


def test_unknown_short_and_ambiguous_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    with pytest.raises(StoreError, match="no such run"):
        store.get("abcd")  # no store file at all
    _fixed_ids(monkeypatch, "3fa91c", "3fa9d2", "777777")
    a, b, c = _begin(store), _begin(store), _begin(store)
    assert store.get("3fa91").id == a and store.get("3FA9D").id == b and store.get("7777").id == c
    with pytest.raises(StoreError) as ambiguous:
        store.get("3fa9")
    message = str(ambiguous.value)
    assert message == f"{store.path}: run 3fa9: ambiguous prefix, matches 3fa91c.., 3fa9d2.."
    with pytest.raises(StoreError, match=r"runs.duckdb: run 0000: no such run$"):
        store.get("0000")
    with pytest.raises(StoreError, match="at least 4 characters"):
        store.get("3fa")
    with pytest.raises(StoreError, match="no such run"):
        store.get("zz; DROP TABLE runs")
    with pytest.raises(StoreError, match="no such run"):
        store.table("0000", "strategies")
    store.finish(a, "complete", 1.0, {}, {"strategies": _strategies()})
    with pytest.raises(StoreError, match=r"no table 'nope' \(tables: strategies\)"):
        store.table(a, "nope")


def test_a_file_that_is_not_duckdb_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("these are my notes\nline two\n")
    for action in (lambda s: s.list(), lambda s: _begin(s), lambda s: s.get("abcd")):
        with pytest.raises(StoreError) as info:
            action(RunStore(path))
        assert str(info.value) == (
            f"{path}: is not a detente run store (not a DuckDB database file)"
        )
    assert path.read_text() == "these are my notes\nline two\n"


def test_another_duckdb_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE sales (x INTEGER)")
    with pytest.raises(StoreError, match=r"is not a detente run store \(it holds other tables: sales\)"):
        _begin(RunStore(path))
    with pytest.raises(StoreError, match="not a detente run store"):
        RunStore(path).list()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    _begin(store)
    with duckdb.connect(str(store.path)) as con:
        con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"newer detente \(store schema 99, this one reads up to 1\)"):
        store.list()
    with pytest.raises(StoreError, match="newer detente"):
        _begin(store)


def test_a_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    store = RunStore(blocker / "sub" / "runs.duckdb")
    assert store.list() == []
    with pytest.raises(StoreError) as info:
        _begin(store)
    message = str(info.value)
    assert message.startswith(f"{store.path}: cannot create the directory {blocker / 'sub'} (")
    assert "\n" not in message


def test_a_store_left_empty_by_a_killed_first_writer_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    duckdb.connect(str(path)).close()  # the file exists, the schema never committed
    assert RunStore(path).list() == []
    rid = _begin(RunStore(path))
    assert [r.id for r in RunStore(path).list()] == [rid]


# -- locks, concurrency and crashes (real processes) ----------------------------------------


def _child(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


HOLD_LOCK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
print("released", flush=True)
time.sleep(30)
"""


def test_a_busy_store_waits_then_gives_up_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    _begin(RunStore(path))
    holder = _child(HOLD_LOCK, str(path), "60")
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        start = time.monotonic()
        with pytest.raises(StoreError) as info:
            _begin(RunStore(path, busy_timeout=0.6))
        assert 0.5 <= time.monotonic() - start < 5
        assert str(info.value) == f"{path}: busy: another process held it for 0.6 s"
        with pytest.raises(StoreError, match="busy"):
            RunStore(path, busy_timeout=0.2).list()
    finally:
        holder.kill()
        holder.wait()


def test_a_busy_store_is_retried_until_free(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    holder = _child(HOLD_LOCK, str(path), "0.8")
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        start = time.monotonic()
        rid = _begin(RunStore(path, busy_timeout=20))
        assert time.monotonic() - start >= 0.3  # it did wait for the holder
        assert RunStore(path).get(rid).status == "running"
    finally:
        holder.kill()
        holder.wait()


WRITER = """
import json, sys, time
from detente.store import RunStore
store = RunStore(sys.argv[1])
worker = int(sys.argv[2])
for k in range(int(sys.argv[3])):
    rid = store.begin("simulate", "hanoi-2019", "h", "toml", {"leakage": 0.35}, {}, worker,
                      {"worker": worker, "k": k}, "0.1.0")
    time.sleep(0.05)
    rows = [{"strategy": f"w{worker}-{k}-{i}", "value": i * 0.5} for i in range(300)]
    store.finish(rid, "complete", 0.05, {"worker": worker, "k": k}, {"strategies": rows})
    print(rid, flush=True)
"""


def test_concurrent_writers_all_land(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    workers, runs_each = 4, 3
    children = [_child(WRITER, str(path), str(w), str(runs_each)) for w in range(workers)]
    seen_while_writing = 0
    while any(c.poll() is None for c in children):
        seen_while_writing = max(seen_while_writing, len(RunStore(path).list(limit=100)))
        time.sleep(0.02)
    ids: dict[str, int] = {}
    for w, child in enumerate(children):
        out, err = child.communicate()
        assert child.returncode == 0, err
        for line in out.split():
            ids[line] = w
    assert len(ids) == workers * runs_each
    store = RunStore(path)
    records = store.list(limit=100)
    assert sorted(r.id for r in records) == sorted(ids)
    assert all(r.status == "complete" for r in records)
    for r in records:
        assert r.result is not None and r.result["worker"] == ids[r.id] == r.seed
        rows = store.table(r.id, "strategies")
        assert len(rows) == 300
        assert rows[7] == {"strategy": f"w{r.seed}-{r.result['k']}-7", "value": 3.5}


SLEEPER = """
import sys, time
from detente.store import RunStore
store = RunStore(sys.argv[1])
rid = store.begin("simulate", "hanoi-2019", "h", "toml", {}, {}, 1, {}, "0.1.0")
print(rid, flush=True)
time.sleep(60)
"""


def test_a_run_killed_mid_way_is_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "runs.duckdb"
    child = _child(SLEEPER, str(path))
    assert child.stdout is not None
    rid = child.stdout.readline().strip()
    store = RunStore(path)
    assert store.get(rid).status == "running"  # its process is alive
    child.send_signal(signal.SIGKILL)
    child.wait()
    killed = store.get(rid)
    assert killed.status == "incomplete" and killed.result is None
    assert store.table_sizes(rid) == {}
    with duckdb.connect(str(path), read_only=True) as con:  # the row itself is left as it was
        assert con.execute("SELECT status FROM runs WHERE id = ?", [rid]).fetchall() == [
            ("running",)
        ]
    new = _begin(store)
    store.finish(new, "complete", 1.0, _result(), {"strategies": _strategies()})
    assert store.get(new).status == "complete"


BIG_FINISH = """
import sys
from detente.store import RunStore
store = RunStore(sys.argv[1])
rows = [{"strategy": f"s{i}", "p": i / 7, "n": i, "tag": "x" * 20} for i in range(40000)]
rid = store.begin("sensitivity", "hanoi-2019", "h", "toml", {}, {}, 1, {}, "0.1.0")
print(rid, flush=True)
store.finish(rid, "complete", 1.0, {"rows": len(rows)}, {"samples": rows, "small": rows[:5]})
print("done", flush=True)
"""


@pytest.mark.parametrize("delay", [0.0, 0.03, 0.08, 0.15, 0.3])
def test_a_writer_killed_while_committing_leaves_all_or_nothing(tmp_path: Path, delay: float) -> None:
    path = tmp_path / "runs.duckdb"
    store = RunStore(path)
    before = _begin(store)
    store.finish(before, "complete", 1.0, _result(), {"strategies": _strategies()})
    child = _child(BIG_FINISH, str(path))
    assert child.stdout is not None
    rid = child.stdout.readline().strip()
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait()
    run = store.get(rid)
    sizes = store.table_sizes(rid)
    if run.status == "complete":
        assert sizes == {"samples": 40000, "small": 5}
        assert store.table(rid, "samples")[39999]["n"] == 39999
    else:
        assert run.status == "incomplete" and run.result is None
        assert sizes == {}
    with duckdb.connect(str(path), read_only=True) as con:  # no stray rows of any run
        orphans = con.execute(
            "SELECT count(*) FROM run_tables t JOIN runs r ON r.id = t.run_id "
            "WHERE r.status <> 'complete'"
        ).fetchall()
        assert orphans == [(0,)]
    assert store.get(before).status == "complete"
    assert store.table(before, "strategies") == _strategies()
    new = _begin(store)
    store.finish(new, "complete", 1.0, {}, {"t": [{"a": 1}]})
    assert store.get(new).status == "complete"


# -- export ---------------------------------------------------------------------------------


def _read_back(path: Path) -> list[dict[str, Any]]:
    with duckdb.connect() as con:
        cursor = con.execute(f"SELECT * FROM '{path}'")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_round_trips(tmp_path: Path, fmt: str) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    rid = _begin(store)
    rows = _strategies()
    store.finish(rid, "complete", 1.0, _result(), {"strategies": rows})
    out = tmp_path / f"out.{fmt}"
    assert store.export(rid[:5], out, fmt) == [out]  # type: ignore[arg-type]
    assert _read_back(out) == rows
    if fmt == "csv":
        assert out.read_text().splitlines()[0] == "strategy,p_signed,summits,ok,note"
    else:
        with duckdb.connect() as con:
            types = dict(con.execute(f"DESCRIBE SELECT * FROM '{out}'").fetchall()[i][:2] for i in range(5))
        assert types == {
            "strategy": "VARCHAR",
            "p_signed": "DOUBLE",
            "summits": "BIGINT",
            "ok": "BOOLEAN",
            "note": "VARCHAR",
        }


def test_export_of_several_tables_nested_values_and_nan(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    rid = _begin(store)
    nested = [{"party": "us", "value": {"mean": 1.5, "se": 0.1}, "xs": [1, 2]}]
    odd = [{"x": 1.0}, {"x": math.nan}, {"x": -2}]
    store.finish(rid, "complete", 1.0, {}, {"values": nested, "odd": odd, "strategies": _strategies()})
    paths = store.export(rid, tmp_path / "exp" / "run.parquet", "parquet")
    assert paths == [tmp_path / "exp" / f"run_{n}.parquet" for n in ("odd", "strategies", "values")]
    assert _read_back(paths[0]) == [{"x": 1.0}, {"x": None}, {"x": -2.0}]
    assert _read_back(paths[1]) == _strategies()
    assert _read_back(paths[2]) == nested
    assert math.isnan(store.table(rid, "odd")[1]["x"])  # the store itself keeps the NaN
    only = store.export(rid, tmp_path / "one.csv", "csv", table="strategies")
    assert only == [tmp_path / "one.csv"] and _read_back(only[0]) == _strategies()
    with pytest.raises(StoreError, match="no table 'nope'"):
        store.export(rid, tmp_path / "x.csv", "csv", table="nope")
    bare = _begin(store)
    store.finish(bare, "complete", 1.0, {}, {})
    with pytest.raises(StoreError, match="has no tables to export"):
        store.export(bare, tmp_path / "x.csv", "csv")


# -- diff -----------------------------------------------------------------------------------


def test_flatten_keys_lists_of_records_by_their_name() -> None:
    flat = flatten(
        {
            "a": {"b": 1, "c": [1, 2]},
            "strategies": [{"strategy": "s1", "p": 0.5}, {"strategy": "s2", "p": 0.1}],
            "rows": [{"v": 1}, {"v": 2}],
            "parties": [{"party": "us", "share": 1}],
            "twins": [{"name": "x"}, {"name": "x"}],
            "empty": {},
            "none": [],
        }
    )
    assert flat == {
        "a.b": 1,
        "a.c": [1, 2],
        "strategies[s1].strategy": "s1",
        "strategies[s1].p": 0.5,
        "strategies[s2].strategy": "s2",
        "strategies[s2].p": 0.1,
        "rows[0].v": 1,
        "rows[1].v": 2,
        "parties[us].party": "us",
        "parties[us].share": 1,
        "twins[0].name": "x",
        "twins[1].name": "x",
        "none": [],
    }


def test_diff_of_two_runs(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    a = _begin(store)
    store.finish(a, "complete", 1.0, _result(0.5, seconds=1.0), {})
    b = _begin(store, parameters={"leakage": 0.7, "un_bite": 8.0}, overrides={"leakage": 0.7})
    result_b = _result(0.75, seconds=2.0)
    result_b["strategies"].append({"strategy": "working-4", "p_signed": {"mean": 0.1, "se": 0.0}})
    del result_b["scenario"]
    store.finish(b, "complete", 2.0, result_b, {})
    diff = store.diff(a[:4], b)
    assert diff.a == a and diff.b == b and not diff.identical
    settings = {d.key: d for d in diff.settings}
    assert set(settings) == {"parameters.leakage", "overrides.leakage"}
    assert settings["parameters.leakage"].delta == pytest.approx(0.35)
    assert settings["overrides.leakage"].only == "b" and settings["overrides.leakage"].b == 0.7
    results = {d.key: d for d in diff.results}
    assert set(results) == {
        "scenario",
        "strategies[summit-first].p_signed.mean",
        "strategies[working-4].strategy",
        "strategies[working-4].p_signed.mean",
        "strategies[working-4].p_signed.se",
    }
    assert results["scenario"].only == "a" and results["scenario"].a == "hanoi-2019"
    moved = results["strategies[summit-first].p_signed.mean"]
    assert (moved.a, moved.b, moved.delta) == (0.5, 0.75, 0.25)
    assert results["strategies[working-4].strategy"].only == "b"
    timed = store.diff(a, b, timings=True)
    assert {d.key for d in timed.results} - set(results) == {"seconds"}


def test_diff_of_identical_runs_is_empty(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.duckdb")
    ids = []
    for seconds in (1.0, 3.0):
        rid = _begin(store)
        store.finish(rid, "complete", seconds, _result(seconds=seconds), {})
        ids.append(rid)
    diff = store.diff(*ids)
    assert diff.identical and diff.settings == [] and diff.results == []
    assert json.loads(diff.model_dump_json())["results"] == []


def test_a_store_another_process_is_creating_is_waited_for(tmp_path: Path) -> None:
    """A file just written with no whole header yet, or with DuckDB's magic bytes, may be a store
    another process is creating (opened then, it is not yet a database): wait, not refuse; an old
    one, or any other file, is refused at once."""
    from detente.store.db import CREATING, _being_created

    header = tmp_path / "half.duckdb"
    header.write_bytes(b"\0" * 8 + b"DUCK")
    short = tmp_path / "short.duckdb"
    short.write_bytes(b"\0" * 4)
    notes = tmp_path / "notes.duckdb"
    notes.write_text("these are my notes\n")
    assert _being_created(header) and _being_created(short) and _being_created(tmp_path / "gone.duckdb")
    assert not _being_created(notes)
    old = time.time() - 2 * CREATING
    os.utime(header, (old, old))
    assert not _being_created(header)
