"""Ctrl-C and SIGTERM in the middle of long commands, and kill -9 of a parent: one line, exit
130 or 143 within seconds, the run marked interrupted, no traceback, no crash, no orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hostile_tools import DETENTE, alive, bilateral, children, measured, one_error_line

from detente.store import RunStore

UNDER_WAY = "cpu:5"  # 5 s of CPU: past the start-up (about 1.5 s), the solve is running


@pytest.fixture(scope="module")
def hungry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hungry") / "hungry.toml"
    path.write_text(bilateral(per_party=9))  # 18 moves: about 9 s and 650 MB to solve
    return path


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_long_solve_ends_it_in_one_line(hungry: Path, tmp_path: Path, signum: int, code: int) -> None:
    store = tmp_path / "runs.duckdb"
    out = measured([*DETENTE, "solve", str(hungry), "--store", str(store)], timeout=120, when=UNDER_WAY, signum=signum)
    assert not out.timed_out and out.after_signal is not None
    assert out.code == code, (out.code, out.stderr[-3000:])  # was -11 (a segfault) or 1 (a traceback)
    line = one_error_line(out)
    assert line.startswith(f"interrupted: detente solve {hungry} stopped by {signal.Signals(signum).name}"), line
    assert out.after_signal is not None and out.after_signal < 5.0, out.after_signal  # was 3-13 s
    runs = RunStore(store).list()
    assert [r.status for r in runs] == ["interrupted"]
    assert runs[0].id in line


def test_ctrl_c_during_a_simulation_keeps_what_finished(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    cmd = [*DETENTE, "simulate", "--samples", "4000", "--workers", "2", "--store", str(store)]
    out = measured(cmd, timeout=120, when="children:2:4", signum=signal.SIGINT)  # 4 s of histories
    assert out.code == 130, out.stderr[-3000:]
    assert one_error_line(out).startswith("interrupted: detente simulate stopped by SIGINT; run ")
    assert "United States" in out.stdout  # the histories that finished, summarised
    assert out.after_signal is not None and out.after_signal < 10.0
    record = RunStore(store).list()[0]
    assert record.status == "interrupted" and record.result and record.result["completed"] < 4000


def test_kill_9_of_simulate_leaves_no_worker_alive(tmp_path: Path) -> None:
    env = os.environ | {"DETENTE_STORE": str(tmp_path / "runs.duckdb")}
    proc = subprocess.Popen([*DETENTE, "simulate", "--samples", "4000", "--workers", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = children(proc.pid)
        assert len(workers) >= 2, "simulate started no workers"
        time.sleep(1.0)  # the workers are busy with histories
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 5  # they lived for 7+ minutes, ignoring SIGTERM
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [w for w in workers if alive(w)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
