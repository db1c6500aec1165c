"""What the hostile suite shares: attacks run in a subprocess with their wall time and peak
memory measured, and the scenarios the attacks use.

Each bound a test asserts is generous (many times what the attack takes when it is handled),
so the suite fails on a blow-up, never on a slow machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DETENTE = [sys.executable, "-m", "detente"]

# Runs COMMAND, optionally sends SIGNAL once it is under way (WHEN: "cpu:S", its own CPU time
# reached S seconds; "children:N:S", it has N live children, then S seconds more), and writes
# its exit code, wall time from start (and from the signal) and the peak RSS of it and every
# process it reaped.
_WRAPPER = r"""
import json, os, resource, signal, subprocess, sys, threading, time
out, when, signum, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
cmd = sys.argv[5:]
start = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
captured = {}
def drain(name, stream):
    captured[name] = stream.read()
readers = [threading.Thread(target=drain, args=(n, s)) for n, s in (("out", p.stdout), ("err", p.stderr))]
[t.start() for t in readers]

def stat(pid):
    text = open(f"/proc/{pid}/stat").read()
    return text[text.rfind(")") + 2:].split()

def cpu(pid):
    fields = stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def kids(pid):
    n = 0
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                f = stat(int(e))
            except OSError:
                continue
            n += int(f[1]) == pid and f[0] != "Z"
    return n

sent = None
if signum:
    kind, *args = when.split(":")
    try:
        while p.poll() is None and time.monotonic() < start + timeout:
            if kind == "cpu" and cpu(p.pid) >= float(args[0]):
                break
            if kind == "children" and kids(p.pid) >= int(args[0]):
                time.sleep(float(args[1]))
                break
            time.sleep(0.05)
    except OSError:
        pass
    sent = time.monotonic()
    p.send_signal(signum)
try:
    p.wait(timeout=max(1.0, start + timeout - time.monotonic()))
    timed_out = False
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    timed_out = True
end = time.monotonic()
[t.join() for t in readers]
stdout, stderr = captured["out"], captured["err"]
json.dump({
    "code": p.returncode, "seconds": end - start, "after_signal": (end - sent) if sent else None,
    "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "timed_out": timed_out,
    "stdout": stdout.decode("utf-8", "replace"), "stderr": stderr.decode("utf-8", "replace"),
}, open(out, "w"))
"""


@dataclass
class Outcome:
    code: int
    seconds: float
    after_signal: float | None
    peak_mb: float
    timed_out: bool
    stdout: str
    stderr: str

    def err_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def measured(
    cmd: list[str], timeout: float, when: str = "", signum: int = 0, env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Outcome:
    """Run ``cmd`` (killed at ``timeout`` s), measuring its wall time and peak memory; with
    ``signum``, send it once ``when`` says the work is under way (see ``_WRAPPER``)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "outcome.json"
        subprocess.run(
            [sys.executable, "-c", _WRAPPER, str(out), when, str(signum), str(timeout), *cmd],
            env=env if env is not None else os.environ.copy(), cwd=cwd, check=True, timeout=timeout + 60,
        )
        return Outcome(**json.loads(out.read_text()))


def one_error_line(outcome: Outcome) -> str:
    """The single line a refused input prints (and no traceback)."""
    lines = outcome.err_lines()
    assert len(lines) == 1, outcome.stderr[-3000:]
    assert "Traceback" not in outcome.stderr
    return lines[0]


def bilateral(per_party: int = 8, stage_moves: int = 1, stages: int = 12, horizon: int = 3) -> str:
    """A scenario inside every server limit whose solve is slow and hungry: ``per_party``
    moves a party, ``stage_moves`` a stage, with an [uncertainty] table (for simulate)."""
    out = ['[scenario]', 'id = "hungry"', 'title = "A slow, hungry scenario"', '', '[parameters]',
           'x = { value = 1.0 }', '']
    for p, d in (("a", 0.9), ("b", 0.85)):
        out += ['[[parties]]', f'id = "{p}"', f'name = "{p.upper()}"', f'discount = {d}', '']
    for p, q in (("a", "b"), ("b", "a")):
        for i in range(per_party):
            out += ['[[moves]]', f'id = "{p}{i}"', f'owner = "{p}"', f'label = "{p}{i}"',
                    f'cost = {1 + i * 0.1:.2f}', f'value = {{ {q} = "{2 + i * 0.37:.2f} * x" }}', '']
    out += ['[solver]', f'max_stage_moves = {stage_moves}', f'max_stages = {stages}', '',
            '[uncertainty]', 'misperception = 0.4', 'working_level_gain = 0.6', 'summit_cooldown = 1',
            f'horizon = {horizon}', 'x = { dist = "uniform", low = 0.5, high = 1.5 }', '']
    return "\n".join(out)


def children(pid: int) -> list[int]:
    """The live (not zombie) child processes of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"
