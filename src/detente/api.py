"""The Python API: ``load``, ``solve``, ``audit``, ``analyse`` return the CLI's typed results."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from detente.analysis.audit import audit_proposal, audit_schedule, parse_stages
from detente.analysis.signals import signals as _signals
from detente.analysis.solve import analyse as _analyse
from detente.analysis.solve import solve as _solve
from detente.analysis.types import (
    DEFAULT_TAU,
    BeliefsAt,
    check_types,
    screen,
    solve_against_types,
)
from detente.beliefs.bayes import beliefs as _beliefs
from detente.errors import ScenarioError, ScheduleError
from detente.parallel import Execution
from detente.results import (
    Analysis,
    AuditResult,
    BeliefsResult,
    RobustSolveResult,
    SensitivityResult,
    SignalsResult,
    SimulationResult,
    SolveResult,
)
from detente.scenario.loader import load as _load
from detente.scenario.model import Scenario
from detente.smp import ForecastResult, SmpInput, run_smp
from detente.smp import montecarlo as _mc
from detente.smp import sensitivity as _smp_sensitivity
from detente.smp.explain import why_they_moved
from detente.smp.model import Transition
from detente.smp.results import ForecastMonteCarloResult
from detente.smp.scenario import ForecastSource, read_input, read_source
from detente.smp.sensitivity import ForecastSensitivityResult
from detente.smp.uncertainty import Uncertain, parse_vary, vary
from detente.uncertainty.sensitivity import parse_metrics
from detente.uncertainty.sensitivity import run as _sensitivity
from detente.uncertainty.simulate import DEFAULT_STRATEGIES
from detente.uncertainty.simulate import run as _simulate


def load(source: str | Path, overrides: Mapping[str, float] | None = None) -> Scenario:
    """A library scenario by id (``"hanoi-2019"``) or a scenario file by path.

    With types, every type's world and the belief trajectories are built too, so that a
    scenario that would fail once types are used fails here, with the key that breaks.
    """
    scenario = _load(source, overrides)
    check_types(scenario)
    return scenario


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else _load(scenario)


def solve(scenario: Scenario | str | Path, *, benchmark: bool = True, frontier: bool = False) -> SolveResult:
    """The self-enforcing deal that maximises the Nash product (MODEL.md sections 6–7).

    ``benchmark``: also the deal if promises were enforceable (``if_enforceable``; cached by
    the scenario's content); ``frontier``: also the whole Pareto frontier at the status quo.
    """
    return _solve(_scenario(scenario), benchmark=benchmark, frontier=frontier)


def solve_robust(
    scenario: Scenario | str | Path, tau: float, beliefs_at: BeliefsAt = "prior"
) -> RobustSolveResult:
    """The best deal every type at least ``tau`` likely goes through with (MODEL.md section 9).

    ``beliefs_at``: the types' priors, or the posteriors after the scenario's event timeline.
    """
    return solve_against_types(_scenario(scenario), tau, beliefs_at)


def audit(
    scenario: Scenario | str | Path,
    proposal: str | None = None,
    stages: str | Sequence[Sequence[str]] | None = None,
    types: bool = False,
    beliefs_at: BeliefsAt = "prior",
) -> AuditResult:
    """Audit a proposal by id, or stages (``"a1,b2;b1"`` or lists of move ids) (section 8).

    With ``types``, ``screening`` says what every type of every party does inside the
    schedule (section 9), under the priors or the posteriors (``beliefs_at``).
    """
    sc = _scenario(scenario)
    if (proposal is None) == (stages is None):
        raise ScheduleError(
            f"{sc.origin}: give either a proposal id (--proposal) or stages (--stages), not both"
        )
    if proposal is not None:
        result = audit_proposal(sc, proposal)
    else:
        try:
            parsed = parse_stages(stages) if isinstance(stages, str) else [list(s) for s in stages or []]
        except ScheduleError as exc:
            raise ScheduleError(f"{sc.origin}: {exc}") from None
        result = audit_schedule(sc, parsed)
    if types:
        where = f"proposals[{proposal}]" if proposal else "--stages"
        result.screening = screen(sc, result.schedule, beliefs_at, where=where)
    return result


def analyse(scenario: Scenario | str | Path, tau: float = DEFAULT_TAU) -> Analysis:
    """Status quo, every proposal's verdict and the solver's deal: what ``detente run`` shows.

    With types, also the deal safe against every type at least ``tau`` likely, at the prior
    and after the event timeline.
    """
    return _analyse(_scenario(scenario), tau)


def overview(
    scenario: Scenario | str | Path, tau: float = DEFAULT_TAU
) -> tuple[Analysis, BeliefsResult | None, SignalsResult | None]:
    """What the report and the web page show: the analysis, the beliefs (with types) and the
    signals' verdicts (with signals)."""
    sc = _scenario(scenario)
    return analyse(sc, tau), beliefs(sc) if sc.types else None, signals(sc, tau) if sc.signals else None


def beliefs(scenario: Scenario | str | Path) -> BeliefsResult:
    """Each party's type posterior over the event timeline (MODEL.md section 9)."""
    return _beliefs(_scenario(scenario))


def simulate(
    scenario: Scenario | str | Path,
    samples: int,
    seed: int = 0,
    strategies: Sequence[str] = DEFAULT_STRATEGIES,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    dask: str | None = None,
) -> SimulationResult:
    """Monte Carlo histories of the talks under each strategy, on common random numbers
    (MODEL.md section 11); ``workers`` local processes (default: every core), or a Dask
    cluster: ``dask="local"`` (a LocalCluster of ``workers``) or a scheduler's address."""
    return _simulate(
        _scenario(scenario), samples, seed, tuple(strategies), Execution(workers, dask), progress
    )


def forecast(
    source: SmpInput | str | Path,
    max_turns: int = 100,
    transition: Transition = "deterministic",
    seed: int = 0,
) -> ForecastResult:
    """The multi-actor forecast of KTAB's spatial model of politics (SMP, default
    configuration) on a built-in forecast scenario, a forecast TOML file, a KTAB CSV or an
    input already read, with each actor's largest move explained. ``transition="stochastic"``
    samples each queue election's item from its probabilities (one history, from ``seed``)."""
    inp = source if isinstance(source, SmpInput) else read_input(source)[2]
    if max_turns < 1:
        raise ScenarioError(inp.source, "--max-turns", f"must be at least 1, got {max_turns}")
    rng = _mc_rng(seed) if transition == "stochastic" else None
    result = run_smp(inp, max_turns=max_turns, transition=transition, rng=rng)
    result.why = why_they_moved(result)
    return result


def _mc_rng(seed: int) -> np.random.Generator:
    """The single stochastic history's transition stream: draw 0's of a Monte Carlo run."""
    return np.random.default_rng(_mc.draw_streams(seed, 0)[1])


def _forecast_source(source: ForecastSource | str | Path) -> ForecastSource:
    return source if isinstance(source, ForecastSource) else read_source(source)


def forecast_uncertain(source: ForecastSource, spreads: str | None) -> tuple[Uncertain, ...]:
    """The uncertain inputs: ``--vary``'s spreads when given (for every input), else the
    file's [uncertainty] table."""
    if spreads is None:
        return source.uncertain
    return vary(source.input, parse_vary(source.origin, spreads), source.actor_ids, source.dimension_ids)


def forecast_monte_carlo(
    source: ForecastSource | str | Path,
    samples: int,
    seed: int = 0,
    transition: Transition = "deterministic",
    spreads: str | None = None,
    max_turns: int = 100,
    within: float = _mc.DEFAULT_WITHIN,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    dask: str | None = None,
) -> ForecastMonteCarloResult:
    """``samples`` draws of a forecast over its uncertain inputs (the file's [uncertainty],
    or ``spreads`` as ``--vary`` takes them) and, with ``transition="stochastic"``, its queue
    elections; the distribution of the final positions and of the capability-weighted outcome."""
    src = _forecast_source(source)
    unc = forecast_uncertain(src, spreads)
    return _mc.run(src, samples, seed, transition, unc, max_turns, within, Execution(workers, dask), progress)


def forecast_sensitivity(
    source: ForecastSource | str | Path,
    metrics: str | None = None,
    samples: int = 64,
    method: str = "sobol",
    seed: int = 0,
    transition: Transition = "deterministic",
    spreads: str | None = None,
    max_turns: int = 100,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    dask: str | None = None,
) -> ForecastSensitivityResult:
    """Sobol' (or Morris) indices of forecast metrics (outcome:DIM, position:ACTOR.DIM,
    moved:ACTOR; default: outcome on every dimension) over the uncertain inputs."""
    src = _forecast_source(source)
    unc = forecast_uncertain(src, spreads)
    parsed = _smp_sensitivity.parse_metrics(src, metrics)
    return _smp_sensitivity.run(
        src, parsed, samples, method, seed, transition, unc, max_turns, Execution(workers, dask), progress
    )


def sensitivity(
    scenario: Scenario | str | Path,
    metrics: str = "deal-exists,nash-product",
    samples: int = 64,
    method: str = "sobol",
    seed: int = 0,
    histories: int = 20,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    dask: str | None = None,
) -> SensitivityResult:
    """Sobol' (or Morris) indices of comma-separated ``metrics`` over the parameters with a
    distribution in [uncertainty]: deal-exists, nash-product, value:PARTY, gain:PARTY,
    p-signed:STRATEGY (``histories`` simulated histories per point)."""
    sc = _scenario(scenario)
    return _sensitivity(
        sc, parse_metrics(sc, metrics), samples, method, seed, histories, Execution(workers, dask), progress
    )


def signals(
    scenario: Scenario | str | Path, tau: float = DEFAULT_TAU, beliefs_at: BeliefsAt = "prior"
) -> SignalsResult:
    """For each of the scenario's signals: the benefit of being believed per type, whether it
    separates, and the margins (MODEL.md section 10)."""
    return _signals(_scenario(scenario), tau, beliefs_at)
