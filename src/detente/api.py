"""The Python API: ``load``, ``solve``, ``audit``, ``analyse`` return the CLI's typed results."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from detente.defaults import (
    DEFAULT_STRATEGIES,
    DEFAULT_TAU,
    FORECAST_WITHIN,
    TIPPING_PRECISION,
    TIPPING_STEPS,
)
from detente.errors import ScenarioError, ScheduleError

if TYPE_CHECKING:
    import numpy as np
    import pandas

    from detente.analysis.types import BeliefsAt
    from detente.results import (
        Analysis,
        AuditResult,
        BacktestResult,
        BeliefsResult,
        CompareResult,
        OffersResult,
        RobustSolveResult,
        SensitivityResult,
        SignalsResult,
        SimulationResult,
        SolveResult,
        SweepResult,
        TippingResult,
    )
    from detente.scenario.model import Scenario
    from detente.smp import ForecastResult, SmpInput
    from detente.smp.model import Transition
    from detente.smp.results import ForecastBacktestResult, ForecastMonteCarloResult
    from detente.smp.scenario import ForecastSource
    from detente.smp.sensitivity import ForecastSensitivityResult
    from detente.smp.uncertainty import Uncertain


def load(source: str | Path, overrides: Mapping[str, float] | None = None) -> Scenario:
    """A library scenario by id (``"hanoi-2019"``) or a scenario file by path.

    With types, every type's world and the belief trajectories are built too, so that a
    scenario that would fail once types are used fails here, with the key that breaks.
    """
    from detente.analysis.types import check_types
    from detente.scenario.loader import load as _load

    scenario = _load(source, overrides)
    check_types(scenario)
    return scenario


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    from detente.scenario.loader import load as _load
    from detente.scenario.model import Scenario

    return scenario if isinstance(scenario, Scenario) else _load(scenario)


def solve(scenario: Scenario | str | Path, *, benchmark: bool = True, frontier: bool = False) -> SolveResult:
    """The self-enforcing deal that maximises the Nash product (docs/model.md, "Which deal" and "The solver").

    ``benchmark``: also the deal if promises were enforceable (``if_enforceable``; cached by
    the scenario's content); ``frontier``: also the whole Pareto frontier at the status quo.
    """
    from detente.analysis.solve import solve as _solve

    return _solve(_scenario(scenario), benchmark=benchmark, frontier=frontier)


def solve_robust(
    scenario: Scenario | str | Path, tau: float, beliefs_at: BeliefsAt = "prior"
) -> RobustSolveResult:
    """The best deal every type at least ``tau`` likely goes through with (docs/model.md, "Types and beliefs").

    ``beliefs_at``: the types' priors, or the posteriors after the scenario's event timeline.
    """
    from detente.analysis.types import solve_against_types

    return solve_against_types(_scenario(scenario), tau, beliefs_at)


def audit(
    scenario: Scenario | str | Path,
    proposal: str | None = None,
    stages: str | Sequence[Sequence[str]] | None = None,
    types: bool = False,
    beliefs_at: BeliefsAt = "prior",
) -> AuditResult:
    """Audit a proposal by id, or stages (``"a1,b2;b1"`` or lists of move ids) ('The audit' (docs/model.md)).

    With ``types``, ``screening`` says what every type of every party does inside the
    schedule ('Types and beliefs' (docs/model.md)), under the priors or the posteriors (``beliefs_at``).
    """
    from detente.analysis.audit import audit_proposal, audit_schedule, parse_stages
    from detente.analysis.types import screen

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
    from detente.analysis.solve import analyse as _analyse

    return _analyse(_scenario(scenario), tau)


def overview(
    scenario: Scenario | str | Path, tau: float = DEFAULT_TAU
) -> tuple[Analysis, BeliefsResult | None, SignalsResult | None]:
    """What the report and the web page show: the analysis, the beliefs (with types) and the
    signals' verdicts (with signals)."""
    sc = _scenario(scenario)
    a = analyse(sc, tau)
    sig = a.signals if a.signals is not None else (signals(sc, tau) if sc.signals else None)
    return a, beliefs(sc) if sc.types else None, sig


def beliefs(scenario: Scenario | str | Path) -> BeliefsResult:
    """Each party's type posterior over the event timeline (docs/model.md, "Types and beliefs")."""
    from detente.beliefs.bayes import beliefs as _beliefs

    return _beliefs(_scenario(scenario))


def simulate(
    scenario: Scenario | str | Path,
    samples: int,
    seed: int = 0,
    strategies: Sequence[str] = DEFAULT_STRATEGIES,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    dask: str | None = None,
    beliefs: str = "posterior",
) -> SimulationResult:
    """Monte Carlo histories of the talks under each strategy, on common random numbers
    (docs/model.md, "Summit versus working level"); ``workers`` local processes (default: every core), or a Dask
    cluster: ``dask="local"`` (a LocalCluster of ``workers``) or a scheduler's address. Each
    history's true types are drawn from ``beliefs``: "prior" or "posterior" (after the events)."""
    from detente.parallel import Execution
    from detente.uncertainty.simulate import run as _simulate

    return _simulate(
        _scenario(scenario), samples, seed, tuple(strategies), Execution(workers, dask), progress, beliefs
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
    from detente.smp import SmpInput, run_smp
    from detente.smp.explain import why_they_moved
    from detente.smp.scenario import read_input

    inp = source if isinstance(source, SmpInput) else read_input(source)[2]
    if max_turns < 1:
        raise ScenarioError(inp.source, "--max-turns", f"must be at least 1, got {max_turns}")
    rng = _mc_rng(seed) if transition == "stochastic" else None
    result = run_smp(inp, max_turns=max_turns, transition=transition, rng=rng)
    result.why = why_they_moved(result)
    return result


def _mc_rng(seed: int) -> np.random.Generator:
    """The single stochastic history's transition stream: draw 0's of a Monte Carlo run."""
    import numpy as np

    from detente.smp import montecarlo as _mc

    return np.random.default_rng(_mc.draw_streams(seed, 0)[1])


def _forecast_source(source: ForecastSource | str | Path) -> ForecastSource:
    from detente.smp.scenario import ForecastSource, read_source

    return source if isinstance(source, ForecastSource) else read_source(source)


def forecast_uncertain(source: ForecastSource, spreads: str | None) -> tuple[Uncertain, ...]:
    """The uncertain inputs: ``--vary``'s spreads when given (for every input), else the
    file's [uncertainty] table."""
    from detente.smp.uncertainty import parse_vary, vary

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
    within: float = FORECAST_WITHIN,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    dask: str | None = None,
) -> ForecastMonteCarloResult:
    """``samples`` draws of a forecast over its uncertain inputs (the file's [uncertainty],
    or ``spreads`` as ``--vary`` takes them) and, with ``transition="stochastic"``, its queue
    elections; the distribution of the final positions and of the capability-weighted outcome."""
    from detente.parallel import Execution
    from detente.smp import montecarlo as _mc

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
    from detente.parallel import Execution
    from detente.smp import sensitivity as _smp_sensitivity

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
    from detente.parallel import Execution
    from detente.uncertainty.sensitivity import parse_metrics
    from detente.uncertainty.sensitivity import run as _sensitivity

    sc = _scenario(scenario)
    return _sensitivity(
        sc, parse_metrics(sc, metrics), samples, method, seed, histories, Execution(workers, dask), progress
    )


def offers(
    scenario: Scenario | str | Path,
    proposer: str | None = None,
    beliefs_at: BeliefsAt = "posterior",
    rounds: int | None = None,
    candidates: str | None = None,
) -> OffersResult:
    """The offers protocol (docs/model.md, "Offers"): the proposer's take-it-or-leave-it offers
    to a responder whose type it does not know, learning from refusals; per proposer type, the
    equilibrium path against each responder type, expected values and delay. ``proposer``,
    ``rounds`` and ``candidates`` default to the scenario's [bargaining]."""
    from detente.analysis.offers import offers as _offers

    if beliefs_at not in ("prior", "posterior"):
        raise ScenarioError("beliefs_at", "", f"must be 'prior' or 'posterior', not {beliefs_at!r}")
    if candidates is not None and candidates not in ("solver", "all", "proposals"):
        raise ScenarioError("candidates", "", f"must be 'solver', 'all' or 'proposals', not {candidates!r}")
    return _offers(_scenario(scenario), beliefs_at, proposer, rounds, candidates)


def case_files(sources: Sequence[str | Path] = ()) -> list[Scenario]:
    """The cases to backtest: the case bank by default; else each source is a case id, a file,
    or a folder of case files (every ``*.toml`` in it, sorted)."""
    from detente.scenario import library
    from detente.scenario.loader import load as _load

    if not sources:
        return [_load(cid) for cid in library.case_ids()]
    out: list[Scenario] = []
    for src in sources:
        path = Path(src)
        if not isinstance(src, Path) and library.has_case(str(src)):
            out.append(_load(str(src)))
        elif path.is_dir():
            files = sorted(path.glob("*.toml"))
            if not files:
                raise ScenarioError(str(src), "", "a folder with no case file (*.toml)")
            out += [_load(f) for f in files]
        else:
            out.append(_load(src))
    return out


def backtest(cases: Sequence[Scenario | str | Path] = ()) -> BacktestResult:
    """detente's verdicts on case files against what happened (docs/model.md, "Validation"):
    per case and stage, the verdict of the play against the record; a confusion matrix,
    accuracy by stage, Brier and log scores with a calibration table, beside baselines. ``cases``:
    scenarios, case ids, files or folders (default: the case bank)."""
    from detente.analysis.backtest import backtest as _backtest
    from detente.scenario.model import Scenario

    loaded = [c for c in cases if isinstance(c, Scenario)]
    loaded += case_files([c for c in cases if not isinstance(c, Scenario)]) if any(not isinstance(c, Scenario) for c in cases) or not cases else []
    without = [sc.origin for sc in loaded if not sc.outcomes]
    if without:
        raise ScenarioError(without[0], "outcomes", "a case file needs [[outcomes]], the schedule as it happened")
    return _backtest(loaded)


def signals(
    scenario: Scenario | str | Path, tau: float = DEFAULT_TAU, beliefs_at: BeliefsAt = "prior"
) -> SignalsResult:
    """For each of the scenario's signals: the benefit of being believed per type, whether it
    separates, and the margins (docs/model.md, "Signals")."""
    from detente.analysis.signals import signals as _signals

    return _signals(_scenario(scenario), tau, beliefs_at)


# ---- tipping points, sweeps and comparisons (docs/model.md, "Tipping points, sweeps and comparisons")


def tipping(
    scenario: Scenario | str | Path,
    parameters: Sequence[str] | None = None,
    offers: bool = True,
    steps: int = TIPPING_STEPS,
    precision: float = TIPPING_PRECISION,
    workers: int | None = None,
    dask: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TippingResult:
    """For every verdict ``detente run`` prints, the nearest value of each parameter (all, or
    ``parameters``), down and up within its domain, at which it flips: a grid of ``steps`` steps
    from the current value outward, then bisection to ``precision`` × the range. ``offers=False``
    leaves out the offers verdicts (the costly ones). On every core, or Dask."""
    from detente.analysis import tipping as _tipping
    from detente.parallel import Execution

    return _tipping.tipping(
        _scenario(scenario), parameters, offers, steps, precision, Execution(workers, dask), progress
    )


def sweep_result(
    scenario: Scenario | str | Path,
    axes: Mapping[str, str | Sequence[float]] | Sequence[str],
    workers: int | None = None,
    dask: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """The verdicts and values of ``detente run`` at every point of a one- or two-parameter grid:
    ``axes`` as ``{"leakage": "0:0.9:0.1"}`` (START:STOP:STEP, or a list of values) or as
    ``["leakage=0:0.9:0.1", "un_bite=4:12:1"]``."""
    from detente.analysis import sweep as _sweep
    from detente.parallel import Execution

    return _sweep.sweep(_scenario(scenario), axes, Execution(workers, dask), progress)


def sweep(
    scenario: Scenario | str | Path,
    axes: Mapping[str, str | Sequence[float]] | Sequence[str],
    workers: int | None = None,
    dask: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pandas.DataFrame:
    """:func:`sweep_result`'s rows as a pandas DataFrame (one row per point, the first
    parameter varying slowest)."""
    from detente.analysis import sweep as _sweep

    return _sweep.frame(sweep_result(scenario, axes, workers, dask, progress))


def _side(source: Scenario | str | Path, overrides: Mapping[str, float] | None) -> Scenario:
    from detente.analysis.types import check_types
    from detente.scenario.model import Scenario
    from detente.scenario.resolve import resolve

    if isinstance(source, Scenario):
        if not overrides:
            return source
        if source.spec is None:
            raise ScenarioError(source.origin, "overrides", "a scenario built in memory cannot take overrides; load it from a file")
        sc = resolve(source.spec, source.origin, {**source.parameters, **overrides}, content_hash=source.content_hash)
        check_types(sc)
        return sc
    return load(source, overrides)


def compare(
    scenario: Scenario | str | Path,
    overrides: Mapping[str, float] | None = None,
    against: Scenario | str | Path | None = None,
    against_overrides: Mapping[str, float] | None = None,
    tau: float = DEFAULT_TAU,
) -> CompareResult:
    """Why the deal changed: ``scenario`` with ``overrides`` against ``against`` (default: the
    same scenario) with ``against_overrides``; both deals side by side and which constraints
    moved, in words."""
    from detente.analysis import compare as _compare
    from detente.analysis.solve import analyse as _analyse

    changed = _side(scenario, overrides)
    baseline = _side(scenario if against is None else against, against_overrides)
    return _compare.compare(
        changed, _analyse(changed, tau), baseline, _analyse(baseline, tau),
        dict(overrides or {}), dict(against_overrides or {}),
    )


def forecast_backtest(
    source: str | Path,
    turns: Mapping[str | datetime.date, int] | None = None,
    max_turns: int = 100,
) -> ForecastBacktestResult:
    """A multi-actor forecast held to its ``[[record]]`` (docs/validation.md): the forecast's
    final positions, and the baseline "nobody moves" (every actor at its input position),
    against where each actor stood on each date of the record; mean absolute errors per date,
    per dimension and overall, a row per entry, and the error after every turn. The model has
    no calendar: ``turns`` optionally maps a date of the record (``"2019-12-31"`` or a date) to
    a turn whose positions are scored too. ``source``: a built-in forecast id or a forecast TOML
    file (a KTAB CSV has no record). The run is KTAB's deterministic default."""
    from detente.smp import run_smp
    from detente.smp.backtest import backtest as _forecast_backtest
    from detente.smp.backtest import check_turns
    from detente.smp.scenario import read_spec

    if max_turns < 1:
        raise ScenarioError("max_turns", "", f"must be at least 1, got {max_turns}")
    origin, data, spec, inp = read_spec(source)
    if not spec.record:
        raise ScenarioError(origin, "record", "a forecast backtest needs [[record]]: where the actors stood on dates after the inputs")
    chosen: dict[datetime.date, int] = {}
    for key, value in (turns or {}).items():
        if isinstance(key, datetime.date):
            date = key
        else:
            try:
                date = datetime.date.fromisoformat(str(key))
            except ValueError:
                raise ScenarioError("turns", str(key), "not a date: write it as YYYY-MM-DD") from None
        chosen[date] = value
    check_turns(spec, chosen)
    result = run_smp(inp, max_turns=max_turns)
    return _forecast_backtest(
        spec, result, origin=origin, content_hash=hashlib.sha256(data).hexdigest(), turns=chosen
    )
