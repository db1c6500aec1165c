"""Ctrl-C (SIGINT) and SIGTERM at the command line: one line, the run marked, exit 130 or 143.

A signal arriving while results are being gathered from workers (simulate, sensitivity, a
forecast's Monte Carlo) stops the gathering as Ctrl-C always did: the workers are killed, what
finished is summarised and recorded as interrupted. Anywhere else (a solve, an audit, a
report) the process ends at once: the run being recorded is marked interrupted, one line
names what was stopped, and the process exits with ``os._exit``, since threads running
compiled kernels cannot be unwound and would crash the interpreter's shutdown.

The main thread runs Python's signal handler only between bytecodes, so one running a long
compiled kernel would not see the signal for minutes: a watcher thread, woken by the signal
(``signal.set_wakeup_fd``), ends the process itself when the main thread has not acted
within a second. A second signal ends the process at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Protocol

from detente import parallel

GRACE = 1.0  # seconds the main thread has to act on a signal before the watcher does
UNWIND = 20.0  # seconds a run that keeps its partial results has to summarise them


class _Marks(Protocol):
    def interrupted(self, reason: str) -> str | None:
        """Mark the run interrupted in the store; its id, or None if it was not recorded."""


class _State:
    def __init__(self) -> None:
        self.what = "detente"
        self.signum = 0
        self.at = 0.0
        self.unwinding = False
        self.finishing = threading.Lock()
        self.recordings: list[_Marks] = []
        self.kept: list[str] = []  # runs the command recorded as interrupted itself


_STATE = _State()


def _name(signum: int) -> str:
    return signal.Signals(signum).name


def exit_code(signum: int) -> int:
    return 128 + signum


def received() -> int:
    """The signal that interrupted this command (0 if none)."""
    return _STATE.signum


@contextlib.contextmanager
def recording(run: _Marks) -> Iterator[None]:
    """While the block runs, an interrupt marks ``run`` interrupted before the process ends."""
    _STATE.recordings.append(run)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            _STATE.recordings.remove(run)


def kept(run_id: str) -> None:
    """The command recorded ``run_id`` as interrupted, with what finished."""
    _STATE.kept.append(run_id)


def line(signum: int, recorded: list[str]) -> str:
    runs = f"; run {', '.join(recorded)} recorded as interrupted" if recorded else ""
    return f"interrupted: {_STATE.what} stopped by {_name(signum)}{runs}\n"


def finish(signum: int, kept: bool = False) -> None:
    """End the process: mark what is recording, say so in one line, exit 128 + signum.
    ``kept``: the command summarised what finished (and recorded it) itself."""
    if not _STATE.finishing.acquire(blocking=False):
        if threading.current_thread() is threading.main_thread():
            return  # a second signal while the watcher finishes: it exits for us
        time.sleep(3600)  # the main thread finishes; never return into the work
    recorded = list(_STATE.kept)
    if not kept:
        for run in list(_STATE.recordings):
            with contextlib.suppress(Exception):  # the store may be busy or gone: exit anyway
                run_id = run.interrupted(f"interrupted by {_name(signum)}")
                if run_id:
                    recorded.append(run_id)
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    with contextlib.suppress(Exception):
        sys.stderr.write(line(signum, recorded))
        sys.stderr.flush()
    os._exit(exit_code(signum))


def _handler(signum: int, frame: FrameType | None) -> None:
    first = _STATE.signum == 0
    if first:
        _STATE.signum, _STATE.at = signum, time.monotonic()
    how = parallel.gathering() if first else None
    if how is not None:
        _STATE.unwinding = True  # parallel.run_in_order keeps what finished, the command reports it
        if how == "wait":
            raise KeyboardInterrupt
        parallel.stop_serial()  # never raise into compiled code: it stops after its task
        return
    finish(signum)


def _watch(fd: int) -> None:
    while True:
        try:
            data = os.read(fd, 64)  # blocks until a signal arrives
        except OSError:
            return
        if not data:
            return
        woke = time.monotonic()
        while True:
            time.sleep(0.05)
            now = time.monotonic()
            if (_STATE.unwinding and now > _STATE.at + UNWIND) or (not _STATE.unwinding and now > woke + GRACE):
                break
        finish(_STATE.signum or data[-1])


def install(what: str) -> None:
    """Handle SIGINT and SIGTERM for this command (``what``: named in the line)."""
    _STATE.what = what
    if threading.current_thread() is not threading.main_thread():
        return  # signals reach the main thread only: a command run from another is not the CLI
    read, write = os.pipe()
    os.set_blocking(write, False)
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    threading.Thread(target=_watch, args=(read,), name="detente-interrupt", daemon=True).start()


__all__ = ["exit_code", "finish", "install", "kept", "received", "recording"]
