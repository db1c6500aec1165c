"""How big a problem the exact solver attempts (docs/model.md, "The solver": limits are
explicit). Two limits: the number of (state, stage) transitions, checked before any work, and
the memory the solver's arrays may take, checked before each allocation and, since frontiers
grow during a solve, whenever the frontier store fills. Past either, the solver refuses with a
one-line :class:`~detente.errors.SolverLimitError` saying how to shrink the problem or raise
the limit; it never approximates silently and never lets the machine run out of memory.
"""

from __future__ import annotations

import os
from functools import lru_cache
from math import comb
from pathlib import Path

import numpy as np

from detente.errors import SolverLimitError
from detente.model.game import Game

MAX_FREE_MOVES = 24  # 2^24 states: the per-state tables alone take about 400 MB
MAX_TOTAL_MOVES = 62  # masks are 64-bit integers in the compiled kernel

MEMORY_ENV = "DETENTE_MAX_MEMORY_MB"  # the solver's memory limit in MB, for this machine
DEFAULT_MEMORY_FRACTION = 0.5  # without it: half of the physical memory (or of the cgroup's)
MB = 1 << 20


def transition_bound(g: Game) -> int:
    """Upper bound on (state, stage) pairs the DP visits, ignoring ``requires``.

    For a party with n free moves and at most m per stage: Σ_r C(n, r) Σ_{j ≤ m} C(n − r, j)
    (r of its moves already in effect). Parties choose independently, so the bound is the
    product over parties, less the empty stage at each of the 2^n states.
    """
    counts = tuple(int(c) for c in np.bincount(g.owner[: g.n_free], minlength=g.n_parties))
    return _bound(counts, g.max_stage_moves)


@lru_cache(maxsize=64)
def _bound(counts: tuple[int, ...], m: int) -> int:
    """``transition_bound`` for parties with ``counts`` free moves each (a simulation asks it
    for thousands of worlds of one shape)."""
    total = 1
    for n in counts:
        total *= sum(comb(n, r) * sum(comb(n - r, j) for j in range(min(m, n - r) + 1)) for r in range(n + 1))
    return total - (1 << sum(counts))


def check_size(g: Game, max_transitions: int) -> int:
    """Refuse, with the numbers, a problem the exact DP would take hours over."""
    if g.n_moves > MAX_TOTAL_MOVES:
        raise SolverLimitError(
            f"{g.n_moves} moves: the exact solver handles at most {MAX_TOTAL_MOVES} moves in all"
        )
    if g.n_free > MAX_FREE_MOVES:
        raise SolverLimitError(
            f"{g.n_free} free moves: the exact solver handles at most {MAX_FREE_MOVES} "
            "(2^n states); fix some moves in scenario.initial or drop some"
        )
    bound = transition_bound(g)
    if bound > max_transitions:
        raise SolverLimitError(
            f"up to {bound:,} (state, stage) transitions exceed solver.max_transitions = "
            f"{max_transitions:,}; lower solver.max_stage_moves, drop moves, or raise the limit"
        )
    return bound


@lru_cache(maxsize=1)
def physical_memory() -> int:
    """Bytes of memory this process can have: the machine's, or its cgroup's if lower (read
    once a process: a simulation solves thousands of games)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            total = min(total, int(text))
    return int(total)


def memory_limit(max_memory_mb: float | None = None) -> tuple[int, str]:
    """The solver's memory limit in bytes, and where it comes from (for messages).

    ``max_memory_mb`` (a caller's own limit) if given, else the environment variable
    DETENTE_MAX_MEMORY_MB, else half of the physical memory; never more than the physical
    memory, which is all the machine can give.
    """
    physical = physical_memory()
    if max_memory_mb is not None:
        asked, source = max_memory_mb, "max_memory_mb"
    elif os.environ.get(MEMORY_ENV):
        text = os.environ[MEMORY_ENV]
        try:
            asked = float(text)
        except ValueError:
            raise SolverLimitError(f"{MEMORY_ENV}={text!r}: not a number of MB") from None
        source = MEMORY_ENV
    else:
        return int(physical * DEFAULT_MEMORY_FRACTION), f"half of this machine's memory; set {MEMORY_ENV} to change it"
    if not asked > 0:
        raise SolverLimitError(f"{source} = {asked:g}: the solver's memory limit must be positive")
    limit = int(asked * MB)
    if limit > physical:
        return physical, f"{source} = {asked:,.0f} capped at this machine's memory"
    return limit, f"{source} = {asked:,.0f}"


class MemoryBudget:
    """The solver's memory limit and what its arrays already take.

    Every large array is reserved here before it is allocated, so a problem whose tables do
    not fit is refused before any of them exists.
    """

    def __init__(self, max_memory_mb: float | None = None) -> None:
        self.limit, self.source = memory_limit(max_memory_mb)
        self.used = 0

    @property
    def free(self) -> int:
        return max(0, self.limit - self.used)

    def reserve(self, nbytes: int, what: str) -> None:
        """Count ``nbytes`` more, or refuse, naming ``what`` they are for."""
        if self.used + nbytes > self.limit:
            raise SolverLimitError(self.message(f"the search needs {_mb(self.used + nbytes)} ({what})"))
        self.used += nbytes

    def release(self, nbytes: int) -> None:
        self.used = max(0, self.used - nbytes)

    def message(self, what: str) -> str:
        return (
            f"{what}, over the solver's memory limit of {_mb(self.limit)} ({self.source}); "
            "lower solver.max_stage_moves or solver.max_stages, drop moves, or raise the limit"
        )


def _mb(nbytes: int) -> str:
    return f"{max(1, round(nbytes / MB)):,} MB"
