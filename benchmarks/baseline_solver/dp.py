"""FROZEN COPY for benchmarks only (commit 99c9c35, before branch and bound); do not edit.

The exact sequencing solver: DP over Pareto frontiers (docs/model.md, "Which deal" and "The solver")."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from baseline_solver import _kernel
from detente.errors import SolverLimitError
from detente.model.bargaining import (
    Disagreement,
    better,
    disagreement,
    stage_key,
)
from detente.model.game import TOLERANCE, FloatArray, Game
from detente.model.stability import MAX_EXHAUSTIVE_CHEATS

# The pruning bounds take (max_stages + 1)·P floats per state: skipped above this size.
MAX_BOUNDED_FREE_MOVES = 20
# Below this size computing the bounds costs more than the pruning saves (hanoi-2019, 12 free
# moves: 15 ms of bounds for a 10 ms search).
MIN_BOUNDED_FREE_MOVES = 13


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
    keep_frontier: bool = True,
) -> DPResult:
    """Solve a compiled game exactly.

    With ``enforce_ic`` and ``enforce_stable`` off, the same search finds the best schedule
    if promises were enforceable: the benchmark a failed negotiation is measured against.
    States are processed in layers of equal size (a stage only adds moves, so a layer needs
    only the layers above it); ``workers`` threads share each large layer (default: every
    core). The answer does not depend on ``workers``. Without ``keep_frontier`` only the
    chosen plan is rebuilt (``frontier`` is empty): for the thousands of solves of a simulation.
    """
    del max_transitions  # the benchmarks call it within limits
    started = time.perf_counter()
    tables = _Tables.build(g, enforce_ic, enforce_stable)
    n_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    if n_workers == 1 or (1 << g.n_free) < SERIAL_STATES:
        return _solve_serial(g, tables, started, keep_frontier)
    store = _Store(g.n_parties, 1 << g.n_free)
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
    return _choose(g, store, tables.disagreement, counters, time.perf_counter() - started, keep_frontier)


PARALLEL_LAYER_SIZE = 256  # smaller layers are not worth a thread
SERIAL_STATES = 1 << 13  # below this many states, threads cost more than they save


def _solve_serial(g: Game, tables: _Tables, started: float, keep_frontier: bool) -> DPResult:
    """All layers in one compiled call: no per-layer Python or thread overhead."""
    layers = _layers(g.n_free)
    order = np.concatenate(layers)
    layer_starts = np.concatenate(([0], np.cumsum([len(x) for x in layers]))).astype(np.int64)
    start, count, val, j, stage, nxt, counters = _kernel.solve_serial(order, layer_starts, *tables.args)
    store = _Store.from_arrays(start, count, val, j, stage, nxt)
    return _choose(g, store, tables.disagreement, counters, time.perf_counter() - started, keep_frontier)


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
            MIN_BOUNDED_FREE_MOVES <= g.n_free <= MAX_BOUNDED_FREE_MOVES,
        )
        args = (
            g.n_free,
            g.n_moves,
            g.n_parties,
            g.owner,
            g.flow,
            g.upfront,
            g.reversal_cost,
            g.lasting,
            g.lasting_next,
            g.tail,
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

    @classmethod
    def from_arrays(cls, start: np.ndarray, count: np.ndarray, val: np.ndarray, j: np.ndarray, stage: np.ndarray, nxt: np.ndarray) -> _Store:
        """A finished store, from the serial kernel's arrays."""
        store = cls.__new__(cls)
        store.start, store.count, store.val, store.j, store.stage, store.next = start, count, val, j, stage, nxt
        store.size = len(j)
        return store

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
    g: Game,
    store: _Store,
    dis: Disagreement,
    counters: np.ndarray,
    seconds: float,
    keep_frontier: bool = True,
) -> DPResult:
    """Section 6 at the status quo: the IR plan with the best Nash score, ties broken.

    Scores are computed for the whole frontier at once; the scan that applies 'Which deal''s
    tolerance and tie-break runs over the plans in frontier order, as ``better`` defines it,
    only among those with the most gaining parties (no other can win).
    """
    lo, n = int(store.start[0]), int(store.count[0])
    values = store.val[lo : lo + n]
    gains = values - dis.values
    positive = gains > TOLERANCE
    ir = np.all(gains >= -TOLERANCE, axis=1) & np.any(positive, axis=1)
    logs = np.log(np.where(positive, gains, 1.0))
    scores = (logs * g.beta).sum(axis=1)
    gaining = positive.sum(axis=1)

    def stages_of(e: int) -> list[int]:
        stages = []
        node = e
        while node >= 0 and store.j[node] > 0:
            stages.append(int(store.stage[node]))
            node = int(store.next[node])
        return stages

    best: Plan | None = None
    if ir.any():
        most = int(gaining[ir].max())
        best_e: int | None = None
        best_rank: tuple[tuple[int, float], tuple[int, tuple[tuple[int, ...], ...]] | None] | None = None
        for i in np.flatnonzero(ir & (gaining == most)):
            score = (most, float(scores[i]))
            if best_rank is None:
                best_e, best_rank = int(i), (score, None)
                continue
            if abs(score[1] - best_rank[0][1]) > TOLERANCE:
                if score[1] > best_rank[0][1]:
                    best_e, best_rank = int(i), (score, None)
                continue
            key_best = best_rank[1] or stage_key(g, stages_of(lo + int(best_e)))  # type: ignore[arg-type]
            key_i = stage_key(g, stages_of(lo + int(i)))
            if better(score, key_i, best_rank[0], key_best):
                best_e, best_rank = int(i), (score, key_i)
            else:
                best_rank = (best_rank[0], key_best)
        assert best_e is not None
        best = Plan(stages_of(lo + best_e), values[best_e].copy())
    frontier = [Plan(stages_of(lo + i), values[i].copy()) for i in range(n)] if keep_frontier else []
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
