"""Which uncertain numbers matter: global sensitivity indices over the [uncertainty] ranges
(docs/model.md, "Sensitivity").

The design is built by SALib on the unit cube, one axis per parameter with a distribution,
and mapped to each parameter through its inverse CDF (``distributions.quantile``); Sobol
indices of X = F⁻¹(U) equal those of U, so every distribution is exact (SALib itself has no
beta). Morris elementary effects are therefore per unit of *quantile*: a step moves a
parameter across the same share of its range, which makes μ* comparable across parameters.

Metrics (each a number per point of the design):
- ``deal-exists``: 1 if the solver finds a self-enforcing deal that all parties prefer to no
  deal at the point's true numbers, else 0;
- ``nash-product``: the deal's Nash product of gains (0 without a deal);
- ``value:PARTY`` and ``gain:PARTY``: the party's value of the deal (its no-deal value without
  one) and its gain over no deal;
- ``p-signed:STRATEGY``: the share of ``histories`` simulated histories (docs/model.md, 'Summit versus working level', with
  misreadings) signed by the horizon under the strategy. The same misreadings are used at
  every point (common random numbers), so the noise is not mistaken for an effect; it is
  still an estimate, which the result says.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from detente.errors import ScenarioError
from detente.model.bargaining import disagreement
from detente.parallel import Execution, run_in_order
from detente.results import (
    MetricSensitivity,
    ParameterSensitivity,
    SensitivityResult,
    VariedParameter,
)
from detente.scenario.model import Scenario
from detente.uncertainty.distributions import quantile
from detente.uncertainty.history import Draw, history_seed, simulate
from detente.uncertainty.simulate import working_rounds, worlds_for

METHODS = ("sobol", "morris")
MORRIS_LEVELS = 4
CONFIDENCE = 0.95
RESAMPLES = 200
POINTS_PER_TASK = 16
METRIC = re.compile(r"^(deal-exists|nash-product|(value|gain):([A-Za-z0-9_-]+)|p-signed:(\S+))$")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Metric:
    name: str  # as the user wrote it
    kind: str  # deal-exists | nash-product | value | gain | p-signed
    party: int = -1
    rounds: int = 0


def parse_metrics(scenario: Scenario, text: str) -> tuple[Metric, ...]:
    ids = [p.id for p in scenario.parties]
    out = []
    for name in (m.strip() for m in text.split(",")):
        if not name:
            continue
        m = METRIC.match(name)
        if not m:
            raise ScenarioError(
                scenario.origin,
                "metrics",
                f"unknown metric {name!r}: use deal-exists, nash-product, value:PARTY, gain:PARTY or p-signed:STRATEGY",
            )
        if m.group(2):
            if m.group(3) not in ids:
                raise ScenarioError(scenario.origin, "metrics", f"{name}: no party {m.group(3)!r} (parties: {', '.join(ids)})")
            out.append(Metric(name, m.group(2), party=ids.index(m.group(3))))
        elif m.group(4):
            out.append(Metric(name, "p-signed", rounds=working_rounds(m.group(4), scenario.origin, "metrics")))
        else:
            out.append(Metric(name, m.group(1)))
    if not out:
        raise ScenarioError(scenario.origin, "metrics", "name at least one metric")
    return tuple(dict.fromkeys(out))


def design(scenario: Scenario, method: str, samples: int, seed: int) -> NDArray[np.float64]:
    """The points on the unit cube (one column per uncertain parameter, in file order)."""
    return unit_design(_names(scenario), method, samples, seed)


def unit_design(names: list[str], method: str, samples: int, seed: int) -> NDArray[np.float64]:
    """A Sobol' (Saltelli, first and total order) or Morris design on [0, 1]^len(names); the
    caller maps each column through its input's quantile function. Shared by the bilateral
    and the forecast analyses."""
    problem = _problem(names)
    if method == "sobol":
        return np.asarray(sobol_sample.sample(problem, samples, calc_second_order=False, scramble=True, seed=seed))
    return np.asarray(morris_sample.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed))


def check_design(origin: str, method: str, samples: int) -> None:
    """Refuse an unknown method or a design size SALib cannot use (one-line errors)."""
    if method not in METHODS:
        raise ScenarioError(origin, "method", f"unknown method {method!r}: use sobol or morris")
    if samples < 2:
        raise ScenarioError(origin, "samples", f"must be at least 2, got {samples}")
    if method == "sobol" and samples & (samples - 1):
        up = 1 << samples.bit_length()
        raise ScenarioError(
            origin,
            "samples",
            f"Sobol' designs need a power of 2 (Saltelli's scheme), got {samples}: use {up // 2} or {up}",
        )


def _names(scenario: Scenario) -> list[str]:
    assert scenario.uncertainty is not None
    return [d.parameter for d in scenario.uncertainty.distributions]


def _problem(names: list[str]) -> dict[str, object]:
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def evaluate(
    scenario: Scenario, units: NDArray[np.float64], metrics: tuple[Metric, ...], seed: int, histories: int
) -> NDArray[np.float64]:
    """Every metric at every point (rows of ``units``): pure given its arguments."""
    u = scenario.uncertainty
    assert u is not None
    worlds = worlds_for(scenario)
    owners = {n: p.owner for n, p in scenario.spec.parameters.items()} if scenario.spec else {}
    n_names = len(scenario.parameters)
    misreadings = [
        _history_draws(seed, h, len(scenario.parties), n_names, u.horizon)
        for h in range(histories if any(m.kind == "p-signed" for m in metrics) else 0)
    ]
    out = np.empty((units.shape[0], len(metrics)))
    for i, row in enumerate(units):
        truth = dict(scenario.parameters)
        for d, x in zip(u.distributions, row, strict=True):
            truth[d.parameter] = float(quantile(d, np.array(x)))
        game = worlds(truth)
        best = worlds.best(truth, scenario.solver.max_transitions) if _needs_solve(metrics) else None
        dis = disagreement(game).values
        values = best.values if best is not None else dis
        gains = values - dis
        for k, m in enumerate(metrics):
            if m.kind == "deal-exists":
                out[i, k] = float(best is not None)
            elif m.kind == "nash-product":
                out[i, k] = float(np.prod(np.maximum(gains, 0.0) ** game.beta)) if best is not None else 0.0
            elif m.kind == "value":
                out[i, k] = float(values[m.party])
            elif m.kind == "gain":
                out[i, k] = float(gains[m.party])
            else:
                signed = sum(
                    simulate(scenario, worlds, Draw(truth, eps, chance), m.rounds, owners, scenario.solver.max_transitions).signed_at
                    is not None
                    for eps, chance in misreadings
                )
                out[i, k] = signed / histories
    return out


def _history_draws(seed: int, h: int, parties: int, names: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """History h's misreadings, then its refusals and shocks, in the order simulate draws them
    (no types: a sensitivity point fixes the parameters, and types would override them)."""
    rng = np.random.default_rng(history_seed(seed, h))
    return rng.standard_normal((parties, names)), rng.random((horizon, parties + 1))


def _needs_solve(metrics: tuple[Metric, ...]) -> bool:
    return any(m.kind != "p-signed" for m in metrics)


def run(
    scenario: Scenario,
    metrics: tuple[Metric, ...],
    samples: int,
    method: str = "sobol",
    seed: int = 0,
    histories: int = 20,
    execution: Execution | None = None,
    progress: Progress | None = None,
) -> SensitivityResult:
    """Indices of every metric for every uncertain parameter. An interrupted run has no
    indices (they need the whole design) and says it is incomplete."""
    u = scenario.uncertainty
    if u is None or not u.distributions:
        raise ScenarioError(scenario.origin, "uncertainty", "the scenario has no distributions in [uncertainty] to vary")
    check_design(scenario.origin, method, samples)
    if histories < 1:
        raise ScenarioError(scenario.origin, "histories", f"must be at least 1, got {histories}")
    execution = execution or Execution()
    started = time.perf_counter()
    units = design(scenario, method, samples, seed)
    n = units.shape[0]
    tasks = [(units[a : a + POINTS_PER_TASK], metrics, seed, histories) for a in range(0, n, POINTS_PER_TASK)]
    parts: list[NDArray[np.float64]] = []
    done = 0

    def take(_: int, part: NDArray[np.float64]) -> None:
        nonlocal done
        parts.append(part)
        done += part.shape[0]
        if progress:
            progress(done, n)

    run_in_order(evaluate, scenario, tasks, execution, take)
    complete = done == n
    y = np.concatenate(parts) if parts else np.empty((0, len(metrics)))
    varied = [
        VariedParameter(parameter=d.parameter, distribution=d.kind, **{k: float(v) for k, v in d.params.items()})
        for d in u.distributions
    ]
    return SensitivityResult(
        scenario=scenario.id,
        content_hash=scenario.content_hash,
        parameters=dict(scenario.parameters),
        method=method,
        samples=samples,
        points=n,
        completed=done,
        complete=complete,
        seed=seed,
        histories=histories if any(m.kind == "p-signed" for m in metrics) else None,
        varied=varied,
        metrics=[indices(_names(scenario), method, m.name, units, y[:, k], seed) for k, m in enumerate(metrics)]
        if complete
        else [],
        executor=execution.describe(),
        workers=execution.workers_used,
        seconds=time.perf_counter() - started,
    )


def _finite(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


def indices(
    names: list[str], method: str, metric: str, units: NDArray[np.float64], y: NDArray[np.float64], seed: int
) -> MetricSensitivity:
    """Sobol' or Morris indices of one metric (values ``y`` at the design's points ``units``),
    most influential input first; a metric that does not vary gets zeros, flagged constant."""
    problem = _problem(names)
    mean, std = float(np.mean(y)), float(np.std(y))
    if std <= 1e-12 * max(1.0, abs(mean)):
        # no variance to share out: every index is 0 (SALib would divide by zero)
        return MetricSensitivity(metric=metric, mean=mean, std=std, constant=True, parameters=[
            ParameterSensitivity(parameter=name) for name in names
        ])
    rows = []
    if method == "sobol":
        # SALib seeds its bootstrap only `if seed:`, so seed 0 would draw from numpy's global
        # state: pass a derived seed that is never 0
        boot = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0]) or 1
        s = sobol_analyze.analyze(
            problem, y, calc_second_order=False, num_resamples=RESAMPLES, conf_level=CONFIDENCE, seed=boot
        )
        for i, name in enumerate(names):
            rows.append(
                ParameterSensitivity(
                    parameter=name,
                    s1=_finite(s["S1"][i]),
                    s1_conf=_finite(s["S1_conf"][i]),
                    st=_finite(s["ST"][i]),
                    st_conf=_finite(s["ST_conf"][i]),
                )
            )
        rows.sort(key=lambda r: -(r.st or 0.0))
    else:
        s = morris_analyze.analyze(
            problem, units, y, num_resamples=RESAMPLES, conf_level=CONFIDENCE, num_levels=MORRIS_LEVELS, seed=seed
        )
        for i, name in enumerate(names):
            rows.append(
                ParameterSensitivity(
                    parameter=name,
                    mu=_finite(s["mu"][i]),
                    mu_star=_finite(s["mu_star"][i]),
                    mu_star_conf=_finite(s["mu_star_conf"][i]),
                    sigma=_finite(s["sigma"][i]),
                )
            )
        rows.sort(key=lambda r: -(r.mu_star or 0.0))
    return MetricSensitivity(metric=metric, mean=mean, std=std, constant=False, parameters=rows)


__all__ = ["METHODS", "Metric", "check_design", "design", "evaluate", "indices", "parse_metrics", "run", "unit_design"]
