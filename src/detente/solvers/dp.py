"""The exact sequencing solver: DP over Pareto frontiers (MODEL.md sections 6 and 7)."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from detente.errors import SolverLimitError
from detente.model.bargaining import (
    Disagreement,
    better,
    disagreement,
    is_individually_rational,
    nash_score,
    stage_key,
)
from detente.model.game import FloatArray, Game
from detente.model.stability import MAX_EXHAUSTIVE_CHEATS
from detente.solvers import _kernel
from detente.solvers.limits import check_size

# The pruning bounds take (max_stages + 1)·P floats per state: skipped above this size.
MAX_BOUNDED_FREE_MOVES = 20


@dataclass(frozen=True)
class Plan:
    """A schedule found by the DP with its values V_p(1)."""

    stages: list[int]
    values: FloatArray


@dataclass(frozen=True)
class DPResult:
    best: Plan | None
    disagreement: Disagreement
    frontier: list[Plan]  # the Pareto frontier at the status quo (every IC plan worth keeping)
    states: int
    transitions: int
    candidates: int  # plans generated before Pareto pruning
    entries: int
    seconds: float


def party_subsets(g: Game) -> tuple[np.ndarray, np.ndarray]:
    """Per party, every set of its free moves of size 0..max_stage_moves, the empty set first."""
    masks: list[int] = []
    offsets = [0]
    for p in range(g.n_parties):
        mine = [i for i in range(g.n_free) if g.owner[i] == p]
        for size in range(0, min(g.max_stage_moves, len(mine)) + 1):
            for combo in combinations(mine, size):
                masks.append(sum(1 << i for i in combo))
        offsets.append(len(masks))
    return np.array(masks, dtype=np.int64), np.array(offsets, dtype=np.int64)


def solve_game(
    g: Game,
    max_transitions: int = 10_000_000,
    enforce_ic: bool = True,
    enforce_stable: bool = True,
    workers: int | None = None,
) -> DPResult:
    """Solve a compiled game exactly.

    With ``enforce_ic`` and ``enforce_stable`` off, the same search finds the best schedule
    if promises were enforceable: the benchmark a failed negotiation is measured against.
    States are processed in layers of equal size (a stage only adds moves, so a layer needs
    only the layers above it); ``workers`` threads share each large layer (default: every
    core). The answer does not depend on ``workers``.
    """
    check_size(g, max_transitions)
    started = time.perf_counter()
    tables = _Tables.build(g, enforce_ic, enforce_stable)
    store = _Store(g.n_parties, 1 << g.n_free)
    n_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    counters = np.zeros(2, dtype=np.int64)
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        for layer in _layers(g.n_free):
            chunks = (
                np.array_split(layer, n_workers)
                if n_workers > 1 and len(layer) >= PARALLEL_LAYER_SIZE
                else [layer]
            )
            if len(chunks) == 1:
                outputs = [tables.run(layer, store)]
            else:
                outputs = list(
                    pool.map(tables.run, chunks, [store] * len(chunks), range(len(chunks)))
                )
            for chunk, out in zip(chunks, outputs, strict=True):
                store.append(chunk, out, g.max_stages)
                counters += out[5]
    return _choose(g, store, tables.disagreement, counters, time.perf_counter() - started)


PARALLEL_LAYER_SIZE = 256  # smaller layers are not worth a thread


def _layers(n_free: int) -> list[np.ndarray]:
    """Free-move masks grouped by how many moves they hold, largest first."""
    masks = np.arange(1 << n_free, dtype=np.int64)
    sizes = np.bitwise_count(masks)
    return [masks[sizes == k] for k in range(n_free, -1, -1)]


class _Tables:
    """The kernel's read-only inputs for one solve."""

    def __init__(self, g: Game, args: tuple[object, ...], disagreement: Disagreement) -> None:
        self.g = g
        self.args = args
        self.copies: list[tuple[object, ...]] = [args]
        self.disagreement = disagreement

    @classmethod
    def build(cls, g: Game, enforce_ic: bool, enforce_stable: bool) -> _Tables:
        subsets, offsets = party_subsets(g)
        dis = disagreement(g)
        rev_pays = np.array([g.reversal_pays(m) for m in range(g.n_moves)], dtype=np.bool_)
        requires = np.array(g.requires, dtype=np.int64)
        initial = np.int64(g.initial)
        masks, u_tab, lower = _kernel.prepare(
            g.n_free,
            g.n_moves,
            g.n_parties,
            g.owner,
            g.flow,
            g.upfront,
            g.unreciprocated,
            g.reversible,
            rev_pays,
            requires,
            initial,
            g.delta,
            subsets,
            offsets,
            g.max_stages,
            dis.values,
            g.n_free <= MAX_BOUNDED_FREE_MOVES,
        )
        args = (
            g.n_free,
            g.n_moves,
            g.n_parties,
            g.owner,
            g.flow,
            g.upfront,
            g.reversal_cost,
            requires,
            initial,
            g.delta,
            g.unreciprocated,
            g.penalty,
            g.verifiability,
            g.verifiability_with,
            subsets,
            offsets,
            g.max_stages,
            enforce_ic,
            enforce_stable,
            MAX_EXHAUSTIVE_CHEATS,
            masks,
            u_tab,
            lower,
        )
        return cls(g, args, dis)

    def run(self, states: np.ndarray, store: _Store, worker: int = 0) -> tuple[np.ndarray, ...]:
        return _kernel.layer_chunk(  # type: ignore[no-any-return,call-arg]
            states,
            *self.copy_for(worker),
            store.start,
            store.count,
            store.val,
            store.j,
            store.stage,
            store.next,
            store.suf1,
            store.sufj,
        )

    def copy_for(self, worker: int) -> tuple[object, ...]:
        """Each worker reads its own copy of the inputs.

        numba counts references to an array atomically at every call that passes it; two
        threads passing the same arrays fight over those counters, which costs more than the
        copy.
        """
        while len(self.copies) <= worker:
            self.copies.append(
                tuple(a.copy() if isinstance(a, np.ndarray) else a for a in self.args)
            )
        return self.copies[worker]


class _Store:
    """Every state's frontier: entries in one growing set of arrays, offsets per state."""

    def __init__(self, n_parties: int, n_states: int) -> None:
        self.start = np.zeros(n_states, dtype=np.int64)
        self.count = np.zeros(n_states, dtype=np.int64)
        self.size = 0
        cap = 1024
        # Narrow types where the range allows (stages ≤ 32, free moves ≤ 24, fewer than 2^31
        # entries): the store is most of the solver's memory.
        self.val = np.empty((cap, n_parties))
        self.j = np.empty(cap, dtype=np.int8)
        self.stage = np.empty(cap, dtype=np.int32)
        self.next = np.empty(cap, dtype=np.int32)
        self.suf1 = np.empty(cap)  # two parties: max V_1 from an entry to its state's end
        self.sufj = np.empty(cap, dtype=np.int8)  # and the fewest stages there

    def _reserve(self, extra: int) -> None:
        need = self.size + extra
        cap = len(self.j)
        if need <= cap:
            return
        if need >= 2**31:
            raise SolverLimitError(f"{need:,} frontier entries: more than the solver can index")
        while cap < need:
            cap += max(cap // 2, 1024)  # grow by half: a copy costs old + new at once
        for name in ("val", "j", "stage", "next", "suf1", "sufj"):
            old = getattr(self, name)
            new = np.empty((cap, *old.shape[1:]), dtype=old.dtype)
            new[: self.size] = old[: self.size]
            setattr(self, name, new)

    def append(self, states: np.ndarray, out: tuple[np.ndarray, ...], max_stages: int) -> None:
        counts, val, j, stage, nxt = out[:5]
        m = len(j)
        self._reserve(m)
        lo = self.size
        self.val[lo : lo + m] = val
        self.j[lo : lo + m] = j
        self.stage[lo : lo + m] = stage
        self.next[lo : lo + m] = nxt
        starts = lo + np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else counts
        self.start[states] = starts
        self.count[states] = counts
        self.size += m
        if self.val.shape[1] == 2 and m:
            _kernel.suffix_bounds(
                self.val, self.j, self.suf1, self.sufj, starts, counts, max_stages
            )


def _choose(
    g: Game, store: _Store, dis: Disagreement, counters: np.ndarray, seconds: float
) -> DPResult:
    """Section 6 at the status quo: the IR plan with the best Nash score, ties broken."""
    frontier: list[Plan] = []
    best: Plan | None = None
    best_rank: tuple[tuple[int, float], tuple[int, tuple[tuple[int, ...], ...]]] | None = None
    for e in range(int(store.start[0]), int(store.start[0] + store.count[0])):
        stages = []
        node = e
        while node >= 0 and store.j[node] > 0:
            stages.append(int(store.stage[node]))
            node = int(store.next[node])
        plan = Plan(stages, store.val[e].copy())
        frontier.append(plan)
        if not is_individually_rational(plan.values, dis.values):
            continue
        rank = (nash_score(plan.values, dis.values, g.beta), stage_key(g, stages))
        if best_rank is None or better(rank[0], rank[1], best_rank[0], best_rank[1]):
            best, best_rank = plan, rank
    return DPResult(
        best=best,
        disagreement=dis,
        frontier=frontier,
        states=int(np.count_nonzero(store.count)),
        transitions=int(counters[0]),
        candidates=int(counters[1]),
        entries=store.size,
        seconds=seconds,
    )
