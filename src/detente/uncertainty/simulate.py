"""Run many histories on every core and summarise them (MODEL.md section 11).

Histories are cut into chunks of consecutive indices; each worker process loads the scenario
once, simulates its chunks under every strategy and returns one tally per strategy. The answer
depends only on the seed and the number of histories, not on the number of workers or the
chunk size (a test). Ctrl-C stops the run: the chunks already done are summarised and marked
incomplete.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from functools import lru_cache

from detente.errors import ScenarioError
from detente.model.game import Game, compile_game
from detente.results import Estimate, SimulationResult, StrategyStats
from detente.scenario.model import Scenario
from detente.scenario.resolve import resolve
from detente.solvers.dp import Plan, solve_game
from detente.uncertainty.aggregate import Tally, mean_ci, wilson
from detente.uncertainty.history import draw_history, simulate

DEFAULT_STRATEGIES = ("summit-first", "working-1", "working-2", "working-3")
CHUNK = 25
STRATEGY = re.compile(r"^(summit-first|working-(\d{1,3}))$")

Progress = Callable[[int, int], None]  # (histories done, histories asked for)


def working_rounds(name: str, origin: str) -> int:
    m = STRATEGY.match(name)
    if not m:
        raise ScenarioError(
            origin, "--strategies", f"unknown strategy {name!r}: use summit-first or working-N (N ≥ 1)"
        )
    return 0 if m.group(2) is None else int(m.group(2))


class _Worlds:
    """Parameters -> compiled game, memoised (a history's truth is shared by every strategy)."""

    def __init__(self, scenario: Scenario) -> None:
        assert scenario.spec is not None
        self.scenario = scenario
        self.names = sorted(scenario.parameters)
        self._cached = lru_cache(maxsize=4096)(self._build)
        self._best = lru_cache(maxsize=1024)(self._solve)

    def _build(self, values: tuple[float, ...]) -> Game:
        spec = self.scenario.spec
        assert spec is not None
        params = dict(zip(self.names, values, strict=True))
        return compile_game(resolve(spec, self.scenario.origin, params))

    def __call__(self, params: dict[str, float]) -> Game:
        return self._cached(tuple(params[k] for k in self.names))

    def best(self, params: dict[str, float], max_transitions: int) -> Plan | None:
        """The solver's deal for these parameters, memoised: a summit repeated with nothing
        learnt in between (summit-first) proposes the same deal without a second solve."""
        return self._best(tuple(params[k] for k in self.names), max_transitions)

    def _solve(self, values: tuple[float, ...], max_transitions: int) -> Plan | None:
        return solve_game(self._cached(values), max_transitions, workers=1, keep_frontier=False).best


_STATE: dict[str, object] = {}


def _init(scenario: Scenario) -> None:
    _STATE["scenario"] = scenario
    _STATE["worlds"] = _Worlds(scenario)


def run_chunk(scenario: Scenario | None, seed: int, start: int, stop: int, rounds: tuple[int, ...]) -> list[Tally]:
    """Histories ``start`` to ``stop − 1`` under every strategy: one tally per strategy."""
    if scenario is None:
        scenario = _STATE["scenario"]  # type: ignore[assignment]
        worlds = _STATE["worlds"]
    else:
        worlds = _Worlds(scenario)
    assert isinstance(scenario, Scenario) and isinstance(worlds, _Worlds)
    owners = {n: p.owner for n, p in scenario.spec.parameters.items()} if scenario.spec else {}
    tallies = [Tally(len(scenario.parties)) for _ in rounds]
    for i in range(start, stop):
        d = draw_history(scenario, seed, i)
        for tally, n in zip(tallies, rounds, strict=True):
            tally.add(simulate(scenario, worlds, d, n, owners, scenario.solver.max_transitions))
    return tallies


def _chunk_in_worker(seed: int, start: int, stop: int, rounds: tuple[int, ...]) -> list[Tally]:
    return run_chunk(None, seed, start, stop, rounds)


def run(
    scenario: Scenario,
    samples: int,
    seed: int = 0,
    strategies: tuple[str, ...] = DEFAULT_STRATEGIES,
    workers: int | None = None,
    progress: Progress | None = None,
) -> SimulationResult:
    """Simulate ``samples`` histories under each strategy, on ``workers`` processes (all cores)."""
    if scenario.uncertainty is None:
        raise ScenarioError(scenario.origin, "uncertainty", "the scenario has no [uncertainty] table to simulate")
    if samples < 1:
        raise ScenarioError(scenario.origin, "--samples", f"must be at least 1, got {samples}")
    rounds = tuple(working_rounds(s, scenario.origin) for s in strategies)
    n_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    started = time.perf_counter()
    totals = [Tally(len(scenario.parties)) for _ in rounds]
    chunks = [(a, min(a + CHUNK, samples)) for a in range(0, samples, CHUNK)]
    done = 0
    complete = True
    if n_workers == 1:
        try:
            for a, b in chunks:
                for total, part in zip(totals, run_chunk(scenario, seed, a, b, rounds), strict=True):
                    total.merge(part)
                done += b - a
                if progress:
                    progress(done, samples)
        except KeyboardInterrupt:
            complete = False
    else:
        pool = ProcessPoolExecutor(max_workers=n_workers, initializer=_init, initargs=(scenario,))
        pending: dict[Future[list[Tally]], int] = {}
        finished_parts: dict[int, list[Tally]] = {}  # done, waiting for the chunks before them
        queue = list(range(len(chunks)))
        merged = 0  # chunks merged, in order: sums add up the same way whatever finished first
        try:
            while queue or pending:
                while queue and len(pending) < 2 * n_workers:
                    c = queue.pop(0)
                    a, b = chunks[c]
                    pending[pool.submit(_chunk_in_worker, seed, a, b, rounds)] = c
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    finished_parts[pending.pop(fut)] = fut.result()
                while merged in finished_parts:
                    for total, part in zip(totals, finished_parts.pop(merged), strict=True):
                        total.merge(part)
                    a, b = chunks[merged]
                    done += b - a
                    merged += 1
                    if progress:
                        progress(done, samples)
        except KeyboardInterrupt:
            complete = False
        finally:
            pool.shutdown(wait=complete, cancel_futures=True)
    return _summary(scenario, samples, done, complete, seed, strategies, rounds, totals, n_workers, started)


def _estimate(t: tuple[float, float, float]) -> Estimate:
    return Estimate(**{k: (None if math.isnan(v) else v) for k, v in zip(("estimate", "low", "high"), t, strict=True)})


def _summary(
    scenario: Scenario,
    samples: int,
    done: int,
    complete: bool,
    seed: int,
    strategies: tuple[str, ...],
    rounds: tuple[int, ...],
    totals: list[Tally],
    workers: int,
    started: float,
) -> SimulationResult:
    u = scenario.uncertainty
    assert u is not None
    pids = [p.id for p in scenario.parties]
    stats = []
    for name, n, t in zip(strategies, rounds, totals, strict=True):
        stats.append(
            StrategyStats(
                strategy=name,
                working_rounds=n,
                histories=t.histories,
                p_signed=_estimate(wilson(t.signed, t.histories)),
                p_holds_given_signed=_estimate(wilson(t.holds, t.signed)),
                periods_to_signature=_estimate(mean_ci(t.periods, t.periods_sq, t.signed)),
                summits=t.summits / t.histories if t.histories else 0.0,
                expected_values={
                    p: _estimate(mean_ci(float(t.values[i]), float(t.values_sq[i]), t.histories))
                    for i, p in enumerate(pids)
                },
                defections={p: int(t.defections[i]) for i, p in enumerate(pids)},
            )
        )
    return SimulationResult(
        scenario=scenario.id,
        content_hash=scenario.content_hash,
        parameters=dict(scenario.parameters),
        samples=samples,
        completed=done,
        complete=complete and done == samples,
        seed=seed,
        horizon=u.horizon,
        misperception=u.misperception,
        working_level_gain=u.working_level_gain,
        summit_cooldown=u.summit_cooldown,
        workers=workers,
        seconds=time.perf_counter() - started,
        strategies=stats,
    )
