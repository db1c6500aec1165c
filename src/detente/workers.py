"""What every worker process that runs user work sets up first: a memory limit, and death
with its parent.

A scenario can ask the solver for far more memory than the machine has, and a parent killed
with ``kill -9`` leaves its workers running. So each worker (the local processes of
simulate, sensitivity and the forecast's Monte Carlo, and the server's analysis and job
processes) starts by

- limiting its address space (``RLIMIT_AS``): by default half the machine's memory shared
  among the workers, at least 2 GiB each and never more than the machine has;
  ``DETENTE_WORKER_MEMORY`` (``4G``, ``1500M``, ``0`` for no limit) or ``detente serve
  --worker-memory`` sets it. Past it, an allocation fails with a ``MemoryError``, which the
  caller reports in one line;
- asking Linux to kill it when its parent dies (``PR_SET_PDEATHSIG``), with a thread polling
  its parent's pid as a fallback on systems without it;
- sending its standard error to /dev/null (unless ``DETENTE_DEBUG`` is set): the parent
  reports a worker's failure in one line;
- ignoring Ctrl-C: the terminal sends SIGINT to the whole process group, and it is the
  parent's to handle (it stops its workers itself), so no worker prints a traceback.
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import sys
import threading
import time

GIB = 1 << 30
FLOOR = 2 * GIB  # numba and LLVM reserve about 0.6 GB of address space before any work
ENV = "DETENTE_WORKER_MEMORY"
_PR_SET_PDEATHSIG = 1
_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


class MemorySettingError(ValueError):
    """A memory size that cannot be read."""


def physical_memory() -> int:
    """This machine's memory in bytes (0 if unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def parse_size(text: str) -> int:
    """``4G``, ``1500M``, ``2.5GiB``, ``1073741824`` as bytes; ``0`` means no limit."""
    m = _SIZE.match(text)
    if not m:
        raise MemorySettingError(f"{text!r} is not a size: write e.g. 4G, 1500M or 0 (no limit)")
    return int(float(m.group(1)) * _UNITS[m.group(2).upper()])


def default_limit(workers: int) -> int:
    """Half the machine's memory shared among ``workers``, at least 2 GiB, at most all of it."""
    total = physical_memory()
    if total <= 0:
        return 0
    return min(total, max(FLOOR, total // (2 * max(1, workers))))


def memory_limit(workers: int, setting: str | None = None) -> int:
    """The address-space limit of each of ``workers`` workers in bytes (0: none): the
    setting if given (else ``$DETENTE_WORKER_MEMORY``), else the default."""
    text = setting if setting is not None else os.environ.get(ENV)
    if text is not None and text.strip():
        return parse_size(text)
    return default_limit(workers)


def describe(limit: int) -> str:
    """A limit as people write it: ``6 GiB``, ``1.5 GiB``, ``800 MiB``."""
    if limit >= GIB:
        return f"{limit / GIB:.3g} GiB"
    return f"{limit / (1 << 20):.0f} MiB"


def out_of_memory(limit: int, what: str = "a worker process") -> str:
    """The sentence for a worker that hit its limit."""
    if limit <= 0:
        return f"{what} ran out of memory; the scenario is too large (fewer moves, a lower solver.max_stage_moves)"
    return (
        f"{what} needed more than its memory limit of {describe(limit)} and was stopped; "
        f"try a smaller scenario (fewer moves, a lower solver.max_stage_moves) or raise {ENV}"
    )


def _die_with_parent() -> None:
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="detente-parent-watch", daemon=True).start()


def limit_memory(limit: int) -> None:
    """Cap this process's address space at ``limit`` bytes (0: leave it)."""
    if limit <= 0:
        return
    try:
        import resource
    except ImportError:  # not a POSIX system
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _quiet() -> None:
    """Send this worker's standard error to /dev/null unless ``DETENTE_DEBUG`` is set: its
    failures reach the parent, which reports them in one line, while a C++ runtime that runs
    out of memory would print its own (``std::bad_alloc``) to the terminal."""
    if os.environ.get("DETENTE_DEBUG"):
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    os.dup2(null, 2)
    os.close(null)


def init_worker(limit: int) -> None:
    """The first thing a worker does (see the module)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    _quiet()
    limit_memory(limit)


__all__ = [
    "ENV",
    "MemorySettingError",
    "default_limit",
    "describe",
    "init_worker",
    "limit_memory",
    "memory_limit",
    "out_of_memory",
    "parse_size",
    "physical_memory",
]
