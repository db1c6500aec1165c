"""The Python API: ``load``, ``solve``, ``audit``, ``analyse`` return the CLI's typed results.

The one way in for the command line and the web server too: they read scenarios, check
arguments and run analyses through these functions only. Engines are imported inside the
functions, so that importing this module (and starting the CLI) stays fast. Errors name the
Python parameter at fault (``samples``, ``beliefs_at``, ``overrides.NAME``); the CLI shows its
own flags instead.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

    from detente.analysis.types import BeliefsAt as BeliefsAt
    from detente.parallel import Execution
    from detente.results import (
        Analysis,
        AuditResult,
        BacktestResult,
        BeliefsResult,
        CompareResult,
        ForecastBacktestResult,
        ForecastMonteCarloResult,
        ForecastResult,
        ForecastSensitivityResult,
        LibraryEntry,
        LinkedValue,
        OffersResult,
        RobustSolveResult,
        ScenarioSize,
        SensitivityResult,
        SignalsResult,
        SimulationResult,
        SolveResult,
        SweepResult,
        TippingResult,
    )
    from detente.scenario.model import Scenario as Scenario
    from detente.smp import SmpInput as SmpInput
    from detente.smp.model import Transition as Transition
    from detente.smp.scenario import ForecastSource as ForecastSource
    from detente.smp.uncertainty import Uncertain

Override = float | bool  # a parameter's number, or a field's number or true/false (``overrides``)
BYTES_ORIGIN = "<bytes>"


# ---- scenarios: reading, checking, the library


def load(
    source: str | Path | None = None,
    overrides: Mapping[str, Override] | None = None,
    *,
    data: bytes | str | None = None,
    origin: str | None = None,
    from_forecast: bool = False,
    check: Callable[[Scenario], None] | None = None,
) -> Scenario:
    """A library scenario by id (``"hanoi-2019"``), a scenario file by path, or a scenario's
    text: ``data`` (bytes or str), named ``origin`` in errors (``load(data=b"...",
    origin="upload.toml")``).

    ``overrides`` map parameter names to numbers, and field paths (``moves.a1.cost``,
    ``solver.max_stages``) to a number or true/false. With ``from_forecast``, the parameters
    linked to a forecast (``forecast = {...}`` in [parameters]) take the forecast's values
    (an override still wins); ``scenario.linked`` says which, and why (:func:`linked_values`).
    ``check`` is called with the resolved scenario before its types are built: a caller's own
    bounds (a server's size limits).

    Every structure error and unknown id of a file is reported at once (``exc.problems``).
    With types, every type's world and the belief trajectories are built too, so that a
    scenario that would fail once types are used fails here, with the key that breaks.
    """
    import dataclasses

    from detente.analysis.types import check_types
    from detente.scenario.loader import load_bytes, read_source

    if (source is None) == (data is None):
        raise ScenarioError(origin or BYTES_ORIGIN, "data", "give either a source (a library id or a path) or data (a scenario's text), not both")
    if data is not None:
        name, raw = origin or BYTES_ORIGIN, data.encode("utf-8") if isinstance(data, str) else data
    else:
        assert source is not None
        name, raw = read_source(source)
    given = dict(overrides or {})
    scenario = load_bytes(raw, name, given)
    if from_forecast:
        assert scenario.spec is not None
        if not any(p.forecast is not None for p in scenario.spec.parameters.values()):
            raise ScenarioError(name, "from_forecast", "no parameter of this scenario is linked to a forecast")
        linked = linked_values(scenario, given)
        scenario = load_bytes(raw, name, {**{lv.parameter: lv.value for lv in linked}, **given})
        scenario = dataclasses.replace(scenario, linked=tuple(linked))
    if check is not None:
        check(scenario)
    check_types(scenario)
    return scenario


def linked_values(scenario: Scenario | str | Path, overrides: Mapping[str, Override] | None = None) -> list[LinkedValue]:
    """The values the scenario's forecast links give its parameters (docs/model.md, "The
    multi-actor forecast"): each linked forecast run once, the linked actors' final positions
    mapped onto the parameter. Parameters in ``overrides`` are left out (an override wins)."""
    from detente.smp.link import linked_values as _linked

    sc = _scenario(scenario)
    links = {
        name: (p.value, p.forecast)
        for name, p in (sc.spec.parameters.items() if sc.spec is not None else ())
        if p.forecast is not None and name not in (overrides or {})
    }
    return _linked(sc.origin, links) if links else []


def _scenario(scenario: Scenario | str | Path) -> Scenario:
    from detente.scenario.loader import load as _load
    from detente.scenario.model import Scenario

    return scenario if isinstance(scenario, Scenario) else _load(scenario)


def parse_overrides(items: Sequence[str] | None) -> dict[str, Override]:
    """``NAME=VALUE`` items, as ``--set`` takes them, as :func:`load`'s ``overrides``: a
    parameter takes a plain decimal, a field path (``moves.a1.reversal_lag``) a number or
    true/false."""
    from detente.scenario.loader import parse_overrides as _parse

    return _parse(list(items or []))


def check_plain(where: str, text: str) -> None:
    """Refuse a name or an id typed with compatibility characters that read as plain ASCII
    (``ｈanoi-2019``): ``ScenarioError(where, "", reason)``."""
    from detente.scenario import screen

    screen.plain_argument(where, text)


def scenario_text(source: str | Path) -> tuple[str, bytes]:
    """(origin, bytes) of a library scenario, a case of the case bank, a built-in forecast or
    a file: what ``detente scenarios show`` prints and the run store keeps."""
    from detente.scenario import library
    from detente.scenario.loader import read_source
    from detente.smp.library import library_text

    name = str(source)
    if not isinstance(source, Path) and not library.has(name) and not library.has_case(name):
        text = library_text(name) if "/" not in name and "." not in name else None
        if text is not None:
            return name, text
    return read_source(source)


def scenario_library() -> list[LibraryEntry]:
    """The built-in scenarios, bilateral then forecasts, with their titles and counts (read
    from the files, which are not resolved: the list comes at once)."""
    import tomllib

    from detente.results import LibraryEntry
    from detente.scenario import library
    from detente.smp.library import ids as forecast_ids
    from detente.smp.library import library_text

    out = []
    for sid in library.ids():
        # the built-in files are valid (tests load each), so the plain TOML is enough here
        raw = tomllib.loads(library.read_bytes(sid).decode("utf-8"))
        out.append(
            LibraryEntry(
                id=sid, kind="bilateral", title=raw["scenario"]["title"], moves=len(raw.get("moves", [])),
                proposals=len(raw.get("proposals", [])),
            )
        )
    for fid in forecast_ids():
        raw = tomllib.loads((library_text(fid) or b"").decode("utf-8"))
        out.append(
            LibraryEntry(id=fid, kind="forecast", title=raw["forecast"]["title"], actors=len(raw["actors"]), dimensions=len(raw["dimensions"]))
        )
    return out


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (structure and types; not references or ranges)."""
    from detente.scenario.schema import ScenarioSpec

    return ScenarioSpec.model_json_schema()


def is_forecast(source: str | None = None, *, data: bytes | None = None, origin: str | None = None) -> bool:
    """Whether a source is a multi-actor forecast: a built-in forecast id, a KTAB CSV, or TOML
    (a file, or ``data``) with a [forecast] table. Anything else is read as a bilateral scenario
    (whose loader says what is wrong with it)."""
    from detente.errors import DetenteError
    from detente.scenario import library, screen
    from detente.smp.library import library_text

    if data is not None:
        name = origin or BYTES_ORIGIN
        if name.lower().endswith(".csv"):
            return True
        try:
            return "forecast" in screen.loads(data, name)
        except DetenteError:
            return False
    if source is None:
        return False
    if library.has(source):
        return False
    if "/" not in source and "." not in source and library_text(source) is not None:
        return True
    if source.lower().endswith(".csv"):
        return True
    path = Path(source)
    if not path.is_file():
        return False
    try:
        return "forecast" in screen.loads(screen.read_capped(path, source), source)
    except (OSError, DetenteError):
        return False


def read_forecast(source: str | Path | None = None, *, data: bytes | str | None = None, origin: str | None = None) -> ForecastSource:
    """A forecast's input with its uncertain inputs: a built-in forecast id, a forecast TOML
    file or a KTAB CSV, or ``data`` (a forecast TOML's or a CSV's text, named ``origin``;
    ``*.csv`` is read as a CSV)."""
    from detente.smp.scenario import parse_source, read_source

    if (source is None) == (data is None):
        raise ScenarioError(origin or BYTES_ORIGIN, "data", "give either a source (a forecast id or a path) or data (a forecast's text), not both")
    if data is not None:
        return parse_source(data.encode("utf-8") if isinstance(data, str) else data, origin or BYTES_ORIGIN)
    assert source is not None
    return read_source(source)


def scenario_size(scenario: Scenario | str | Path) -> ScenarioSize:
    """How large a scenario is for the solver, before any solve (docs/model.md, "The
    solver"): moves, free moves, stages, and the bound on the (state, stage) transitions."""
    from detente.model.game import compile_game
    from detente.results import ScenarioSize
    from detente.solvers.limits import transition_bound

    sc = _scenario(scenario)
    g = compile_game(sc)
    return ScenarioSize(
        scenario=sc.id,
        parties=len(sc.parties),
        moves=len(sc.moves),
        free_moves=g.n_free,
        proposals=len(sc.proposals),
        longest_proposal=max((len(p.stages) for p in sc.proposals), default=0),
        max_stages=sc.solver.max_stages,
        max_stage_moves=sc.solver.max_stage_moves,
        transitions=transition_bound(g),
    )


def uncertainty_range(scenario: Scenario, parameter: str) -> tuple[float, float] | None:
    """The range of a parameter's [uncertainty] distribution (a lognormal's 0.1%-99.9%
    quantiles), or None without one."""
    from detente.uncertainty.distributions import bounds

    dist = next((d for d in scenario.uncertainty.distributions if d.parameter == parameter), None) if scenario.uncertainty else None
    return None if dist is None else bounds(dist)


# ---- checks of arguments, made before any work (and again by the analyses themselves)

_BELIEFS_AT = ("prior", "posterior")


def _beliefs_at(origin: str, beliefs_at: str) -> None:
    if beliefs_at not in _BELIEFS_AT:
        raise ScenarioError(origin, "beliefs_at", f"must be 'prior' or 'posterior', not {beliefs_at!r}")


def _execution(origin: str, workers: int | None, dask: str | None) -> Execution:
    """How to run: ``workers`` local processes or a Dask cluster, checked."""
    import re

    from detente.parallel import Execution

    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ScenarioError(origin, "workers", f"must be at least 1, got {workers}")
    if dask is not None and dask != "local" and not re.match(r"^(tcp|tls|inproc|ucx)://\S+$", dask):
        raise ScenarioError(origin, "dask", f"expected 'local' or a scheduler address such as tcp://HOST:8786, got {dask!r}")
    return Execution(workers, dask)


def check_simulate(
    scenario: Scenario,
    samples: int,
    strategies: Sequence[str] = DEFAULT_STRATEGIES,
    workers: int | None = None,
    dask: str | None = None,
    beliefs: str = "posterior",
) -> None:
    """Refuse what :func:`simulate` would refuse, before it starts (to record a run only once
    its arguments are known good)."""
    from detente.uncertainty.simulate import check_beliefs, working_rounds

    if scenario.uncertainty is None:
        raise ScenarioError(scenario.origin, "uncertainty", "the scenario has no [uncertainty] table to simulate")
    if samples < 1:
        raise ScenarioError(scenario.origin, "samples", f"must be at least 1, got {samples}")
    for name in strategies:
        working_rounds(name, scenario.origin, "strategies")
    check_beliefs(scenario.origin, beliefs)
    _execution(scenario.origin, workers, dask)


def check_sensitivity(
    scenario: Scenario,
    metrics: str = "deal-exists,nash-product",
    samples: int = 64,
    method: str = "sobol",
    histories: int = 20,
    workers: int | None = None,
    dask: str | None = None,
) -> None:
    """Refuse what :func:`sensitivity` would refuse, before it starts."""
    from detente.uncertainty.sensitivity import check_design, parse_metrics

    if scenario.uncertainty is None or not scenario.uncertainty.distributions:
        raise ScenarioError(scenario.origin, "uncertainty", "the scenario has no distributions in [uncertainty] to vary")
    parse_metrics(scenario, metrics)
    check_design(scenario.origin, method, samples)
    if histories < 1:
        raise ScenarioError(scenario.origin, "histories", f"must be at least 1, got {histories}")
    _execution(scenario.origin, workers, dask)


def check_forecast_monte_carlo(
    source: ForecastSource,
    samples: int,
    transition: Transition = "deterministic",
    spreads: str | None = None,
    max_turns: int = 100,
    within: float = FORECAST_WITHIN,
    workers: int | None = None,
    dask: str | None = None,
) -> None:
    """Refuse what :func:`forecast_monte_carlo` would refuse, before it starts."""
    import math

    from detente.smp import montecarlo as _mc

    _mc.check(source, samples, transition, max_turns, forecast_uncertain(source, spreads))
    if not (math.isfinite(within) and within >= 0):
        raise ScenarioError(source.origin, "within", f"must be a distance ≥ 0 on the 0-100 scale, got {within:g}")
    _execution(source.origin, workers, dask)


def check_forecast_sensitivity(
    source: ForecastSource,
    metrics: str | None = None,
    samples: int = 64,
    method: str = "sobol",
    transition: Transition = "deterministic",
    spreads: str | None = None,
    max_turns: int = 100,
    workers: int | None = None,
    dask: str | None = None,
) -> None:
    """Refuse what :func:`forecast_sensitivity` would refuse, before it starts."""
    from detente.smp import montecarlo as _mc
    from detente.smp.sensitivity import parse_metrics
    from detente.uncertainty.sensitivity import check_design

    unc = forecast_uncertain(source, spreads)
    parse_metrics(source, metrics)
    if not unc:
        raise ScenarioError(source.origin, "uncertainty", "no uncertain inputs to vary: add an [uncertainty] table or give spreads")
    _mc.check(source, samples, transition, max_turns, unc)
    check_design(source.origin, method, samples)
    _execution(source.origin, workers, dask)


def check_sweep(
    scenario: Scenario,
    axes: Mapping[str, str | Sequence[float]] | Sequence[str],
    workers: int | None = None,
    dask: str | None = None,
) -> None:
    """Refuse what :func:`sweep_result` would refuse (a bad range), before any solve."""
    from detente.analysis.sweep import parse_axes

    _execution(scenario.origin, workers, dask)
    parse_axes(scenario, axes)


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

    sc = _scenario(scenario)
    _beliefs_at(sc.origin, beliefs_at)
    return solve_against_types(sc, tau, beliefs_at)


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
        raise ScheduleError(sc.origin, "proposal", "give either proposal (a proposal id) or stages, not both")
    _beliefs_at(sc.origin, beliefs_at)
    if proposal is not None:
        result = audit_proposal(sc, proposal)
    else:
        parsed = parse_stages(stages, sc.origin) if isinstance(stages, str) else [list(s) for s in stages or []]
        result = audit_schedule(sc, parsed)
    if types:
        where = f"proposals[{proposal}]" if proposal else "stages"
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
    history's true types are drawn from ``beliefs``: "prior", "posterior" (after the events) or
    "none" (no types: version 1's histories)."""
    from detente.uncertainty.simulate import run as _simulate

    sc = _scenario(scenario)
    check_simulate(sc, samples, strategies, workers, dask, beliefs)
    return _simulate(sc, samples, seed, tuple(strategies), _execution(sc.origin, workers, dask), progress, beliefs)


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
        raise ScenarioError(inp.source, "max_turns", f"must be at least 1, got {max_turns}")
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
    """The uncertain inputs: ``spreads`` when given (``"capability=F,salience=G,position=W"``,
    for every input), else the file's [uncertainty] table."""
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
    or ``spreads``, see :func:`forecast_uncertain`) and, with ``transition="stochastic"``, its queue
    elections; the distribution of the final positions and of the capability-weighted outcome."""
    from detente.smp import montecarlo as _mc

    src = _forecast_source(source)
    check_forecast_monte_carlo(src, samples, transition, spreads, max_turns, within, workers, dask)
    unc = forecast_uncertain(src, spreads)
    return _mc.run(src, samples, seed, transition, unc, max_turns, within, _execution(src.origin, workers, dask), progress)


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
    from detente.smp import sensitivity as _smp_sensitivity

    src = _forecast_source(source)
    check_forecast_sensitivity(src, metrics, samples, method, transition, spreads, max_turns, workers, dask)
    unc = forecast_uncertain(src, spreads)
    parsed = _smp_sensitivity.parse_metrics(src, metrics)
    return _smp_sensitivity.run(
        src, parsed, samples, method, seed, transition, unc, max_turns, _execution(src.origin, workers, dask), progress
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
    from detente.uncertainty.sensitivity import parse_metrics
    from detente.uncertainty.sensitivity import run as _sensitivity

    sc = _scenario(scenario)
    check_sensitivity(sc, metrics, samples, method, histories, workers, dask)
    return _sensitivity(
        sc, parse_metrics(sc, metrics), samples, method, seed, histories, _execution(sc.origin, workers, dask), progress
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

    sc = _scenario(scenario)
    _beliefs_at(sc.origin, beliefs_at)
    if candidates is not None and candidates not in ("solver", "all", "proposals"):
        raise ScenarioError(sc.origin, "candidates", f"must be 'solver', 'all' or 'proposals', not {candidates!r}")
    return _offers(sc, beliefs_at, proposer, rounds, candidates)


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


def backtest(cases: Sequence[Scenario | str | Path] = (), forecasts: bool = False) -> BacktestResult:
    """detente's verdicts on case files against what happened (docs/model.md, "Validation"):
    per case and stage, the verdict of the play against the record; a confusion matrix,
    accuracy by stage, Brier and log scores with a calibration table, beside baselines. ``cases``:
    scenarios, case ids, files or folders (default: the case bank). ``forecasts``: also each
    built-in forecast with a ``[[record]]`` held to it (``forecasts`` of the result)."""
    from detente.analysis.backtest import backtest as _backtest
    from detente.scenario.model import Scenario
    from detente.smp.library import ids as forecast_ids
    from detente.smp.scenario import read_spec

    loaded = [c for c in cases if isinstance(c, Scenario)]
    loaded += case_files([c for c in cases if not isinstance(c, Scenario)]) if any(not isinstance(c, Scenario) for c in cases) or not cases else []
    without = [sc.origin for sc in loaded if not sc.outcomes]
    if without:
        raise ScenarioError(without[0], "outcomes", "a case file needs [[outcomes]], the schedule as it happened")
    result = _backtest(loaded)
    if forecasts:
        result.forecasts = [forecast_backtest(fid) for fid in forecast_ids() if read_spec(fid)[2].record]
    return result


def signals(
    scenario: Scenario | str | Path, tau: float = DEFAULT_TAU, beliefs_at: BeliefsAt = "prior"
) -> SignalsResult:
    """For each of the scenario's signals: the benefit of being believed per type, whether it
    separates, and the margins (docs/model.md, "Signals")."""
    from detente.analysis.signals import signals as _signals

    sc = _scenario(scenario)
    _beliefs_at(sc.origin, beliefs_at)
    return _signals(sc, tau, beliefs_at)


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

    sc = _scenario(scenario)
    return _tipping.tipping(sc, parameters, offers, steps, precision, _execution(sc.origin, workers, dask), progress)


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

    sc = _scenario(scenario)
    return _sweep.sweep(sc, axes, _execution(sc.origin, workers, dask), progress)


def sweep(
    scenario: Scenario | str | Path,
    axes: Mapping[str, str | Sequence[float]] | Sequence[str],
    workers: int | None = None,
    dask: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pandas.DataFrame:
    """:func:`sweep_result`'s rows as a pandas DataFrame (one row per point, the first
    parameter varying slowest)."""
    return sweep_result(scenario, axes, workers, dask, progress).to_frame()


def _side(source: Scenario | str | Path, overrides: Mapping[str, float] | None, name: str = "overrides") -> Scenario:
    """One side of a comparison; errors in its overrides name ``name`` (the parameter)."""
    try:
        return _overridden(source, overrides)
    except ScenarioError as exc:
        if name == "overrides":
            raise
        renamed = [(name + k.removeprefix("overrides") if k.startswith("overrides") else k, r) for k, r in exc.problems]
        raise ScenarioError.of(exc.source, renamed) from None


def _overridden(source: Scenario | str | Path, overrides: Mapping[str, float] | None) -> Scenario:
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
    baseline = _side(scenario if against is None else against, against_overrides, "against_overrides")
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
