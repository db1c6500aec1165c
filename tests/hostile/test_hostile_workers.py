"""Worker processes under their memory limit: a worker past it ends the command in one
line; the default limit leaves normal runs alone."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_tools import DETENTE, measured, one_error_line

from detente import workers


def _vm_after_import() -> int:
    """The address space a worker starts with (what it inherits from its parent), in bytes."""
    probe = "import detente.api; print(open('/proc/self/status').read())"
    status = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    line = next(x for x in status.splitlines() if x.startswith("VmSize:"))
    return int(line.split()[1]) * 1024


def test_a_worker_past_its_memory_limit_ends_the_run_in_one_line(tmp_path: Path) -> None:
    tight = _vm_after_import() + 100 * 2**20  # room to start, none to work
    env = os.environ | {"DETENTE_WORKER_MEMORY": str(tight), "DETENTE_STORE": str(tmp_path / "runs.duckdb")}
    out = measured([*DETENTE, "simulate", "--samples", "50", "--workers", "2"], timeout=120, env=env)
    assert out.code == 2, out.stderr[-3000:]
    line = one_error_line(out)  # no traceback, no "std::bad_alloc" from a worker
    assert line.startswith("error: ") and "memory" in line, line
    assert out.seconds < 60


@pytest.mark.parametrize(
    "command",
    [
        ["simulate", "--samples", "50", "--workers", "2"],
        ["sensitivity", "--samples", "8", "--workers", "2", "--metric", "deal-exists"],
        ["forecast", "--samples", "20", "--workers", "2"],
    ],
    ids=["simulate", "sensitivity", "forecast-mc"],
)
def test_normal_runs_pass_under_the_smallest_default_limit(command: list[str], tmp_path: Path) -> None:
    env = os.environ | {"DETENTE_WORKER_MEMORY": str(workers.FLOOR), "DETENTE_STORE": str(tmp_path / "runs.duckdb")}
    out = measured([*DETENTE, *command, "--json"], timeout=300, env=env)
    assert out.code == 0, out.stderr[-3000:]


def test_the_default_limit_is_a_share_of_the_machine() -> None:
    total = workers.physical_memory()
    assert workers.default_limit(2) == min(total, max(workers.FLOOR, total // 4))
    assert workers.default_limit(1000) == min(total, workers.FLOOR)
    assert workers.memory_limit(2, "1500M") == 1500 * 2**20
    assert workers.memory_limit(2, "0") == 0
    with pytest.raises(workers.MemorySettingError):
        workers.parse_size("lots")
