"""Which uncertain inputs of a forecast matter: Sobol' or Morris indices of forecast metrics,
with the design and the indices of ``detente.uncertainty.sensitivity`` (the unit cube mapped
through each input's quantile function).

Metrics (each a number per point of the design, 0-100 scale):
- ``outcome:DIM``: the capability-weighted mean of the final positions on DIM (the point's
  capabilities);
- ``position:ACTOR.DIM``: ACTOR's final position on DIM;
- ``moved:ACTOR``: how far ACTOR ends from its start (Euclidean over the dimensions).

With the stochastic transition every point uses the same transition stream (common random
numbers), so the sampled elections are not mistaken for an input's effect; the indices then
describe one realisation of the elections.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np

from detente.errors import ScenarioError
from detente.parallel import Execution
from detente.results import ForecastSensitivityResult
from detente.smp.model import FArr, Transition
from detente.smp.montecarlo import (
    Job,
    Progress,
    Runs,
    check,
    collect,
    draw_streams,
    moved,
    varied,
    weighted_outcome,
)
from detente.smp.scenario import ForecastSource
from detente.smp.uncertainty import Uncertain, values_at
from detente.uncertainty.sensitivity import check_design, indices, unit_design

POINTS_PER_TASK = 16
METRIC = re.compile(r"^(?:outcome:(?P<dim>[^.,\s]+)|position:(?P<actor>[^.,\s]+)\.(?P<pdim>[^.,\s]+)|moved:(?P<mactor>[^.,\s]+))$")


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str  # outcome | position | moved
    actor: int = -1
    dim: int = -1


def parse_metrics(src: ForecastSource, text: str | None) -> tuple[Metric, ...]:
    """Comma-separated metrics; none given: ``outcome:DIM`` for every dimension."""
    actors, dims = list(src.actor_ids), list(src.dimension_ids)
    names = [m.strip() for m in (text or "").split(",") if m.strip()] or [f"outcome:{d}" for d in dims]
    out = []
    for name in names:
        m = METRIC.match(name)
        if m is None:
            raise ScenarioError(
                src.origin, "metrics", f"unknown metric {name!r}: use outcome:DIM, position:ACTOR.DIM or moved:ACTOR"
            )
        actor, dim = m["actor"] or m["mactor"], m["dim"] or m["pdim"]
        if actor is not None and actor not in actors:
            raise ScenarioError(src.origin, "metrics", f"{name}: no actor {actor!r} (actors: {', '.join(actors)})")
        if dim is not None and dim not in dims:
            raise ScenarioError(src.origin, "metrics", f"{name}: no dimension {dim!r} (dimensions: {', '.join(dims)})")
        kind = "outcome" if m["dim"] else "position" if m["actor"] else "moved"
        out.append(Metric(name, kind, actors.index(actor) if actor else -1, dims.index(dim) if dim else -1))
    return tuple(dict.fromkeys(out))


def metric_values(runs: Runs, metrics: tuple[Metric, ...]) -> FArr:
    """(points, metrics): every metric at every run."""
    outcome = weighted_outcome(runs.capability, runs.final)
    dist = moved(runs.start, runs.final)
    cols = []
    for m in metrics:
        if m.kind == "outcome":
            cols.append(outcome[:, m.dim])
        elif m.kind == "position":
            cols.append(100 * runs.final[:, m.actor, m.dim])
        else:
            cols.append(dist[:, m.actor])
    return np.column_stack(cols) if cols else np.empty((runs.final.shape[0], 0))


def run(
    src: ForecastSource,
    metrics: tuple[Metric, ...],
    samples: int,
    method: str = "sobol",
    seed: int = 0,
    transition: Transition = "deterministic",
    uncertain: tuple[Uncertain, ...] | None = None,
    max_turns: int = 100,
    execution: Execution | None = None,
    progress: Progress | None = None,
) -> ForecastSensitivityResult:
    """Indices of every metric for every uncertain input (the file's [uncertainty] unless
    ``uncertain`` is given). An interrupted run has no indices."""
    unc = tuple(src.uncertain if uncertain is None else uncertain)
    if not unc:
        raise ScenarioError(src.origin, "uncertainty", "no uncertain inputs to vary: add an [uncertainty] table or give spreads")
    check(src, samples, transition, max_turns, unc)
    check_design(src.origin, method, samples)
    execution = execution or Execution()
    started = time.perf_counter()
    names = [u.key for u in unc]
    units = unit_design(names, method, samples, seed)
    values = values_at(unc, units)
    n = units.shape[0]
    stream = draw_streams(seed, 0)[1] if transition == "stochastic" else None
    job = Job(src.input, unc, transition, max_turns)
    tasks = [(values[a : a + POINTS_PER_TASK], [stream] * len(values[a : a + POINTS_PER_TASK])) for a in range(0, n, POINTS_PER_TASK)]
    runs, done = collect(job, tasks, execution, n, progress)
    complete = done == n
    y = metric_values(runs, metrics)
    return ForecastSensitivityResult(
        scenario=src.input.name,
        source=src.origin,
        content_hash=src.content_hash,
        transition=transition,
        method=method,
        samples=samples,
        points=n,
        completed=done,
        complete=complete,
        seed=seed,
        max_turns=max_turns,
        varied=varied(unc),
        metrics=[indices(names, method, m.name, units, y[:, k], seed) for k, m in enumerate(metrics)] if complete else [],
        executor=execution.describe(),
        workers=execution.workers_used,
        seconds=time.perf_counter() - started,
    )


__all__ = ["ForecastSensitivityResult", "Metric", "metric_values", "parse_metrics", "run"]
