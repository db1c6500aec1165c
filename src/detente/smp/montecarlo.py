"""Monte Carlo over a forecast: N draws of the uncertain inputs, and of the queue
elections with the stochastic transition, each run to the stopping rule.

Draw i has its own seed, SeedSequence(seed, spawn_key=(i,)) (as the bilateral histories), split
into two streams: one uniform per uncertain input (mapped through the input's quantile
function, so inputs use common random numbers across runs with the same inputs), and the
transition's stream (one uniform per actor and turn). Results depend on (seed, i) only, not on
the number of workers or on which worker ran a draw. Draws are run in chunks by
``detente.parallel.run_in_order`` and collected in draw order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from detente.defaults import FORECAST_WITHIN
from detente.errors import ScenarioError
from detente.parallel import Execution, run_in_order
from detente.results import (
    ActorStays,
    ForecastMonteCarloResult,
    OutcomeSpread,
    PositionSpread,
    Spread,
    Varied,
)
from detente.smp.csv import SmpInput
from detente.smp.model import STOP_RATIO, TRANSITIONS, FArr, Transition, run_positions
from detente.smp.scenario import ForecastSource
from detente.smp.uncertainty import Uncertain, apply, values_at
from detente.uncertainty.aggregate import Z95, wilson
from detente.uncertainty.history import history_seed

DRAWS_PER_TASK = 20
DEFAULT_WITHIN = FORECAST_WITHIN

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Job:
    """What every draw shares (sent to each worker once)."""

    input: SmpInput
    uncertain: tuple[Uncertain, ...]
    transition: Transition
    max_turns: int


@dataclass(frozen=True)
class Runs:
    """Per run: capabilities (n, N), start and final positions (n, N, D) on 0-1, turns, converged."""

    capability: FArr
    start: FArr
    final: FArr
    turns: FArr
    converged: FArr

    @staticmethod
    def concat(parts: Sequence[Runs], n_act: int, n_dim: int) -> Runs:
        if not parts:
            e = np.empty((0, n_act, n_dim))
            return Runs(np.empty((0, n_act)), e, e, np.empty(0), np.empty(0))
        return Runs(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("capability", "start", "final", "turns", "converged")))


def run_points(job: Job, values: FArr, transition_seeds: Sequence[np.random.SeedSequence | None]) -> Runs:
    """Run the model at each row of ``values`` (the uncertain inputs, file scale), the
    stochastic transition seeded by ``transition_seeds[row]``: pure given its arguments."""
    n = values.shape[0]
    inp = job.input
    caps = np.empty((n, inp.n_actors))
    starts = np.empty((n, inp.n_actors, inp.n_dimensions))
    finals = np.empty_like(starts)
    turns = np.empty(n)
    conv = np.empty(n)
    for r in range(n):
        cap, pos, sal = apply(inp, job.uncertain, values[r])
        ts = transition_seeds[r]
        rng = np.random.default_rng(ts) if ts is not None else None
        out = run_positions(pos, sal, cap, max_turns=job.max_turns, transition=job.transition, rng=rng)
        caps[r], starts[r], finals[r] = cap, pos, out.positions[-1]
        turns[r] = len(out.turns)
        conv[r] = float(len(out.turns) >= 2 and out.fractional_change[-1] < STOP_RATIO)
    return Runs(caps, starts, finals, turns, conv)


def draw_streams(seed: int, index: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """Draw ``index``'s two streams: (inputs, transition)."""
    inputs, transition = history_seed(seed, index).spawn(2)
    return inputs, transition


def draw_values(uncertain: Sequence[Uncertain], seed: int, indices: range) -> FArr:
    """The uncertain inputs of draws ``indices`` (rows), on the file's scale."""
    units = np.array([np.random.default_rng(draw_streams(seed, i)[0]).random(len(uncertain)) for i in indices])
    return values_at(uncertain, units.reshape(len(indices), len(uncertain)))


def weighted_outcome(capability: FArr, final: FArr) -> FArr:
    """Capability-weighted mean position per run and dimension, 0-100: sum c x / sum c."""
    out: FArr = 100 * np.einsum("rn,rnk->rk", capability, final) / capability.sum(axis=1)[:, None]
    return out


def moved(start: FArr, final: FArr) -> FArr:
    """Each actor's distance from its start to its final position (Euclidean, 0-100), per run."""
    out: FArr = 100 * np.linalg.norm(final - start, axis=2)
    return out


def spread(x: FArr) -> Spread:
    p5, p50, p95 = (float(v) for v in np.percentile(x, [5, 50, 95]))
    return Spread(mean=float(np.mean(x)), sd=float(np.std(x, ddof=1)) if len(x) > 1 else 0.0, p5=p5, p50=p50, p95=p95)


def varied(uncertain: Sequence[Uncertain]) -> list[Varied]:
    return [Varied(key=u.key, distribution=u.dist.kind, params=dict(u.dist.params)) for u in uncertain]


def check(src: ForecastSource, samples: int, transition: str, max_turns: int, uncertain: Sequence[Uncertain]) -> None:
    if samples < 1:
        raise ScenarioError(src.origin, "samples", f"must be at least 1, got {samples}")
    if max_turns < 1:
        raise ScenarioError(src.origin, "max_turns", f"must be at least 1, got {max_turns}")
    if transition not in TRANSITIONS:
        raise ScenarioError(src.origin, "transition", f"unknown {transition!r}: use {' or '.join(TRANSITIONS)}")
    if not uncertain and transition == "deterministic":
        raise ScenarioError(
            src.origin, "samples", "nothing is uncertain: add an [uncertainty] table, give spreads, or sample the queue elections (a stochastic transition)"
        )


def summarise(
    src: ForecastSource, runs: Runs, within: float
) -> tuple[list[OutcomeSpread], list[PositionSpread], list[ActorStays]]:
    """The report's three parts from the completed runs (none when there are none)."""
    inp = src.input
    n = runs.final.shape[0]
    if n == 0:
        return [], [], []
    outcome = weighted_outcome(runs.capability, runs.final)
    start_outcome = weighted_outcome(inp.capability[None, :], inp.position[None, :, :])[0]
    outcomes = []
    for k, dim in enumerate(src.dimension_ids):
        s = spread(outcome[:, k])
        half = Z95 * s.sd / np.sqrt(n)
        outcomes.append(
            OutcomeSpread(
                dimension=dim, dimension_name=inp.dimension_names[k], start=float(start_outcome[k]),
                final=s, mean_low=s.mean - half, mean_high=s.mean + half,
            )
        )
    positions = [
        PositionSpread(
            actor=src.actor_ids[a], actor_name=inp.actor_names[a], dimension=src.dimension_ids[k],
            start=100 * float(inp.position[a, k]), final=spread(100 * runs.final[:, a, k]),
        )
        for k in range(inp.n_dimensions)
        for a in range(inp.n_actors)
    ]
    dist = moved(runs.start, runs.final)
    stays = []
    for a in range(inp.n_actors):
        p, lo, hi = wilson(int(np.sum(dist[:, a] <= within)), n)
        stays.append(
            ActorStays(
                actor=src.actor_ids[a], actor_name=inp.actor_names[a], within=within,
                p_within=p, p_low=lo, p_high=hi, moved=spread(dist[:, a]),
            )
        )
    return outcomes, positions, stays


def run(
    src: ForecastSource,
    samples: int,
    seed: int = 0,
    transition: Transition = "deterministic",
    uncertain: Sequence[Uncertain] | None = None,
    max_turns: int = 100,
    within: float = DEFAULT_WITHIN,
    execution: Execution | None = None,
    progress: Progress | None = None,
) -> ForecastMonteCarloResult:
    """``samples`` draws of the forecast; ``uncertain`` defaults to the file's [uncertainty].
    Ctrl-C keeps the completed draws (the result says it is incomplete)."""
    unc = tuple(src.uncertain if uncertain is None else uncertain)
    check(src, samples, transition, max_turns, unc)
    if not (np.isfinite(within) and within >= 0):
        raise ScenarioError(src.origin, "within", f"must be a distance ≥ 0 on the 0-100 scale, got {within:g}")
    execution = execution or Execution()
    started = time.perf_counter()
    job = Job(src.input, unc, transition, max_turns)
    stochastic = transition == "stochastic"
    tasks = []
    for a in range(0, samples, DRAWS_PER_TASK):
        idx = range(a, min(samples, a + DRAWS_PER_TASK))
        seeds = [draw_streams(seed, i)[1] if stochastic else None for i in idx]
        tasks.append((draw_values(unc, seed, idx), seeds))
    runs, done = collect(job, tasks, execution, samples, progress)
    outcomes, positions, stays = summarise(src, runs, within)
    return ForecastMonteCarloResult(
        scenario=src.input.name,
        source=src.origin,
        content_hash=src.content_hash,
        transition=transition,
        samples=samples,
        completed=done,
        complete=done == samples,
        seed=seed,
        max_turns=max_turns,
        varied=varied(unc),
        outcomes=outcomes,
        positions=positions,
        stays=stays,
        turns=spread(runs.turns) if done else Spread(mean=0, sd=0, p5=0, p50=0, p95=0),
        converged_share=float(np.mean(runs.converged)) if done else 0.0,
        executor=execution.describe(),
        workers=execution.workers_used,
        seconds=time.perf_counter() - started,
    )


def collect(
    job: Job, tasks: Sequence[tuple[object, ...]], execution: Execution, total: int, progress: Progress | None
) -> tuple[Runs, int]:
    """Every task's runs, in task order, and how many runs finished (fewer after Ctrl-C)."""
    parts: list[Runs] = []
    done = 0

    def take(_: int, part: Runs) -> None:
        nonlocal done
        parts.append(part)
        done += part.final.shape[0]
        if progress:
            progress(done, total)

    run_in_order(run_points, job, tasks, execution, take)
    return Runs.concat(parts, job.input.n_actors, job.input.n_dimensions), done


__all__ = ["DEFAULT_WITHIN", "collect", "Job", "Runs", "draw_streams", "moved", "run", "run_points", "weighted_outcome"]
