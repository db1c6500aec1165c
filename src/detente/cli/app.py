"""The ``detente`` command line (typer + rich). Errors: one line on stderr, exit code 2."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from detente import api
from detente.cli import validation
from detente.cli.backtest import backtest as backtest_command
from detente.cli.common import (
    DaskOpt,
    JsonOpt,
    MethodChoice,
    NoStoreOpt,
    StoreOpt,
    WorkersOpt,
    _check_execution,
    _console,
    _print_json,
    _Recording,
)
from detente.cli.forecast import forecast
from detente.cli.report import report as report_command
from detente.cli.runs import runs_app
from detente.cli.serve import serve
from detente.defaults import DEFAULT_STRATEGIES
from detente.errors import DetenteError, ScenarioError
from detente.scenario import library


class BeliefsChoice(StrEnum):
    prior = "prior"
    posterior = "posterior"


app = typer.Typer(
    help="detente: which concessions, in what order, make a deal that enforces itself.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scenarios_app = typer.Typer(help="The built-in scenario library and scenario files.", no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")
app.add_typer(runs_app, name="runs")
app.command("serve")(serve)

ScenarioArg = Annotated[
    str, typer.Argument(help="A library scenario id (see `detente scenarios list`) or a TOML file.")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a parameter: --set leakage=0.5 (repeatable)."),
]
BeliefsOpt = Annotated[
    BeliefsChoice,
    typer.Option("--beliefs", help="The types' priors, or their posteriors after the event timeline."),
]


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = library.DEFAULT_SCENARIO,
    set_: SetOpt = None,
    robust: Annotated[
        float,
        typer.Option(
            "--robust",
            metavar="TAU",
            help="With types: the deal safe against every type at least TAU likely.",
        ),
    ] = 0.25,
    from_forecast: Annotated[
        bool,
        typer.Option(
            "--from-forecast",
            help="Take the parameters linked to a forecast (e.g. hanoi's leakage) from `detente forecast`.",
        ),
    ] = False,
    as_json: JsonOpt = False,
    tipping: Annotated[
        bool, typer.Option("--tipping/--no-tipping", help="End with the three closest tipping points (detente tipping lists all).")
    ] = True,
) -> None:
    """The whole analysis of a scenario (default: hanoi-2019) on one screen."""
    from detente.cli import render, render_validation
    from detente.scenario.loader import parse_overrides
    from detente.smp.link import LinkedValue, linked_values

    overrides = parse_overrides(set_)
    sc = api.load(scenario, overrides)
    linked: list[LinkedValue] = []
    if from_forecast:
        assert sc.spec is not None
        links = {n: (p.value, p.forecast) for n, p in sc.spec.parameters.items() if p.forecast is not None}
        if not links:
            raise ScenarioError(sc.origin, "--from-forecast", "no parameter of this scenario is linked to a forecast")
        linked = [lv for lv in linked_values(sc.origin, links) if lv.parameter not in overrides]  # --set wins
        sc = api.load(scenario, {**{lv.parameter: lv.value for lv in linked}, **overrides})
    result = api.analyse(sc, robust)
    for lv in linked:
        (sys.stderr.write if as_json else _console().print)(lv.sentence() + ("\n" if as_json else ""))
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.analysis(_console(), sc, result)
    if tipping:
        render_validation.closest_line(_console(), validation.run_tipping(sc, result))


@app.command()
def solve(
    scenario: ScenarioArg,
    set_: SetOpt = None,
    robust: Annotated[
        float | None,
        typer.Option(
            "--robust",
            metavar="TAU",
            help="Keep IC for every type at least TAU likely; the others may quit (docs/model.md, 'Types and beliefs').",
        ),
    ] = None,
    beliefs_at: BeliefsOpt = BeliefsChoice.prior,
    frontier: Annotated[
        bool,
        typer.Option(
            "--frontier",
            help="Also list the whole Pareto frontier at the status quo (a slower search).",
        ),
    ] = False,
    as_json: JsonOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """The self-enforcing deal that maximises the Nash product, or why there is none."""
    from detente.cli import render
    from detente.scenario.loader import parse_overrides
    from detente.store.tables import solve_tables

    overrides = parse_overrides(set_)
    sc = api.load(scenario, overrides)
    if robust is None and beliefs_at is not BeliefsChoice.prior:
        raise ScenarioError(sc.origin, "--beliefs", "applies to a robust solve: add --robust TAU")
    options: dict[str, object] = {"robust": robust, "beliefs": beliefs_at.value if robust is not None else None}
    with _Recording.of(store, no_store, "solve", scenario, sc, overrides, None, options) as record:
        if robust is not None:
            robust_result = api.solve_robust(sc, robust, beliefs_at.value)
            record.save(robust_result, solve_tables(robust_result))
        else:
            result = api.solve(sc, frontier=frontier)
            record.save(result, solve_tables(result))
    if robust is not None:
        if as_json:
            _print_json(robust_result.model_dump(mode="json"))
            return
        render.robust_solution(_console(), sc, robust_result)
        return
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.solution(_console(), sc, result)


@app.command()
def audit(
    scenario: ScenarioArg,
    proposal: Annotated[str | None, typer.Option(help="A proposal id from the scenario (see `detente scenarios show`).")] = None,
    stages: Annotated[
        str | None, typer.Option(help='Stages of move ids: "a1,b2;b1" (stages split by ;).')
    ] = None,
    set_: SetOpt = None,
    types: Annotated[
        bool, typer.Option("--types", help="Also say what each type of each party would do (docs/model.md, 'Types and beliefs').")
    ] = False,
    beliefs_at: BeliefsOpt = BeliefsChoice.prior,
    as_json: JsonOpt = False,
) -> None:
    """Audit a schedule stage by stage: who would deviate, where, and by how much."""
    from detente.cli import render
    from detente.scenario.loader import parse_overrides

    sc = api.load(scenario, parse_overrides(set_))
    if not types and beliefs_at is not BeliefsChoice.prior:
        raise ScenarioError(sc.origin, "--beliefs", "applies to the types' audit: add --types")
    result = api.audit(sc, proposal=proposal, stages=stages, types=types, beliefs_at=beliefs_at.value)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.audit_report(_console(), sc, result)
    if result.screening is not None:
        render.screening(_console(), sc, result.screening)


@app.command()
def beliefs(
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = library.DEFAULT_SCENARIO,
    set_: SetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What each side should believe about the other's type after the event timeline."""
    from detente.cli import render
    from detente.scenario.loader import parse_overrides

    sc = api.load(scenario, parse_overrides(set_))
    result = api.beliefs(sc)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.beliefs(_console(), sc, result)


@app.command()
def signals(
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = library.DEFAULT_SCENARIO,
    set_: SetOpt = None,
    robust: Annotated[
        float,
        typer.Option("--robust", metavar="TAU", help="The threshold of the deals compared (docs/model.md, 'Types and beliefs')."),
    ] = 0.25,
    beliefs_at: BeliefsOpt = BeliefsChoice.prior,
    as_json: JsonOpt = False,
) -> None:
    """Which signals would separate the sender's good type, and by what margins."""
    from detente.cli import render
    from detente.scenario.loader import parse_overrides

    sc = api.load(scenario, parse_overrides(set_))
    result = api.signals(sc, robust, beliefs_at.value)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.signals(_console(), sc, result)


class CandidatesChoice(StrEnum):
    solver = "solver"
    all = "all"
    proposals = "proposals"


@app.command()
def offers(
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = library.DEFAULT_SCENARIO,
    proposer: Annotated[
        str | None, typer.Option("--proposer", metavar="PARTY", help="Who makes the offers (default: the scenario's \\[bargaining]).")
    ] = None,
    beliefs_at: Annotated[
        BeliefsChoice,
        typer.Option("--beliefs", help="The proposer's belief about the responder's type: the prior, or the posterior after the event timeline."),
    ] = BeliefsChoice.posterior,
    rounds: Annotated[int | None, typer.Option("--rounds", metavar="N", help="Meetings before the talks end without a deal.")] = None,
    candidates: Annotated[
        CandidatesChoice | None,
        typer.Option("--candidates", help="The offers considered: solver (frontiers), all (every schedule; small cases) or proposals."),
    ] = None,
    set_: SetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Offers under incomplete information: what the proposer offers at each meeting, which
    types take it, and what a refusal teaches it (docs/model.md, "Offers")."""
    from detente.cli import render
    from detente.scenario.loader import parse_overrides

    sc = api.load(scenario, parse_overrides(set_))
    result = api.offers(sc, proposer, beliefs_at.value, rounds, None if candidates is None else candidates.value)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.offers(_console(), sc, result)


@app.command()
def simulate(
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = library.DEFAULT_SCENARIO,
    samples: Annotated[int, typer.Option("--samples", help="Histories to simulate per strategy.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same results.")] = 0,
    strategies: Annotated[
        str,
        typer.Option(
            "--strategies",
            help="Comma-separated: summit-first, working-N (N working-level rounds before each summit).",
        ),
    ] = ",".join(DEFAULT_STRATEGIES),
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    set_: SetOpt = None,
    as_json: JsonOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Summit versus working level: Monte Carlo histories of the talks (docs/model.md, "Summit versus working level")."""
    from detente.cli import render
    from detente.scenario.loader import parse_overrides
    from detente.store.tables import simulation_tables

    overrides = parse_overrides(set_)
    sc = api.load(scenario, overrides)
    names = tuple(s.strip() for s in strategies.split(",") if s.strip())
    _check_execution(sc.origin, workers, dask)
    options: dict[str, object] = {"samples": samples, "strategies": list(names), "workers": workers, "dask": dask}
    with (
        _Recording.of(store, no_store, "simulate", scenario, sc, overrides, seed, options) as record,
        render.progress_bar(enabled=not as_json) as advance,
    ):
        result = api.simulate(sc, samples, seed, names, workers, advance, dask)
        record.save(result, simulation_tables(result), result.complete)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.simulation(_console(), sc, result)


@app.command()
def sensitivity(
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = library.DEFAULT_SCENARIO,
    metric: Annotated[
        str,
        typer.Option(
            "--metric",
            help="Comma-separated: deal-exists, nash-product, value:PARTY, gain:PARTY, p-signed:STRATEGY.",
        ),
    ] = "deal-exists,nash-product",
    samples: Annotated[
        int, typer.Option("--samples", help="N: Sobol' base samples (a power of 2) or Morris trajectories.")
    ] = 64,
    method: Annotated[
        MethodChoice, typer.Option("--method", help="sobol (variance shares) or morris (a cheap screen).")
    ] = MethodChoice.sobol,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same design and results.")] = 0,
    histories: Annotated[
        int, typer.Option("--histories", help="Simulated histories per point, for p-signed metrics.")
    ] = 20,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    set_: SetOpt = None,
    as_json: JsonOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Which uncertain numbers matter: Sobol' or Morris indices over the \\[uncertainty] ranges."""
    from detente.cli import render
    from detente.scenario.loader import parse_overrides
    from detente.store.tables import sensitivity_tables
    from detente.uncertainty.sensitivity import parse_metrics

    overrides = parse_overrides(set_)
    sc = api.load(scenario, overrides)
    _check_execution(sc.origin, workers, dask)
    parse_metrics(sc, metric)  # a bad metric is refused before anything is recorded
    options: dict[str, object] = {
        "method": method.value, "metric": metric, "samples": samples, "histories": histories,
        "workers": workers, "dask": dask,
    }
    with (
        _Recording.of(store, no_store, "sensitivity", scenario, sc, overrides, seed, options) as record,
        render.progress_bar(enabled=not as_json, unit="points") as advance,
    ):
        result = api.sensitivity(sc, metric, samples, method.value, seed, histories, workers, advance, dask)
        record.save(result, sensitivity_tables(result), result.complete)
    if as_json:
        _print_json(result.model_dump(mode="json"))
    else:
        render.sensitivity(_console(), sc, result)
    if not result.complete:
        raise typer.Exit(130)


app.command()(forecast)


app.command("report")(report_command)
app.command("backtest")(backtest_command)
app.command("tipping")(validation.tipping)
app.command("sweep")(validation.sweep)
app.command("compare", context_settings=validation.COMPARE_CONTEXT)(validation.compare)


@scenarios_app.command("list")
def scenarios_list() -> None:
    """The built-in scenarios."""
    import tomllib

    from rich.markup import escape

    from detente.cli.render_table import figure_column, label_column, show
    from detente.scenario.loader import parse_spec, read_source
    from detente.smp.library import ids as forecast_ids
    from detente.smp.library import library_text

    # the files' own counts, read without resolving them: a list must come up at once
    table = Table(title="Built-in scenarios", title_justify="left")
    label_column(table, "id")
    label_column(table, "title")
    figure_column(table, "moves")
    figure_column(table, "proposals")
    for sid in library.ids():
        origin, data = read_source(sid)
        spec = parse_spec(data, origin)
        table.add_row(sid, escape(str(spec.scenario.title)), str(len(spec.moves)), str(len(spec.proposals)))
    console = _console()
    show(console, table)
    forecasts = Table(title="Built-in forecast scenarios (detente forecast)", title_justify="left")
    label_column(forecasts, "id")
    label_column(forecasts, "title")
    figure_column(forecasts, "actors")
    figure_column(forecasts, "dimensions")
    for fid in forecast_ids():
        raw = tomllib.loads((library_text(fid) or b"").decode("utf-8"))
        forecasts.add_row(fid, escape(raw["forecast"]["title"]), str(len(raw["actors"])), str(len(raw["dimensions"])))
    show(console, forecasts)


@scenarios_app.command("show")
def scenarios_show(scenario_id: Annotated[str, typer.Argument(help="Library id or file.")]) -> None:
    """Print a scenario's TOML (to copy and edit): bilateral or forecast."""
    from detente.scenario.loader import read_source
    from detente.smp.library import library_text

    forecast_text = library_text(scenario_id) if not library.has(scenario_id) else None
    if forecast_text is not None:
        sys.stdout.write(forecast_text.decode("utf-8"))
        return
    origin, data = read_source(scenario_id)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(origin, "", f"not UTF-8 text (byte {exc.start})") from None
    sys.stdout.write(text)


@scenarios_app.command("validate")
def scenarios_validate(
    file: Annotated[str, typer.Argument(help="A scenario TOML file (or a library id).")],
    set_: SetOpt = None,
) -> None:
    """Check a scenario file; exit 0 if valid, else print one line and exit 2."""
    from detente.scenario.loader import parse_overrides

    sc = api.load(file, parse_overrides(set_))
    print(
        f"{file}: valid ({sc.id}: {_count(len(sc.parties), 'party', 'parties')}, "
        f"{_count(len(sc.moves), 'move', 'moves')}, "
        f"{_count(len(sc.proposals), 'proposal', 'proposals')}"
        + (
            f", {_count(len(sc.types), 'type', 'types')}, {_count(len(sc.events), 'event', 'events')}, "
            f"{_count(len(sc.signals), 'signal', 'signals')}"
            if sc.types
            else ""
        )
        + ")"
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@scenarios_app.command("schema")
def scenarios_schema() -> None:
    """Print the JSON Schema of scenario files (for editors: completion and checking)."""
    from detente.scenario.schema import ScenarioSpec

    _print_json(ScenarioSpec.model_json_schema())


def _what(argv: list[str]) -> str:
    """The command as the interrupt's line names it: ``detente solve big.toml``."""
    words: list[str] = []
    for arg in argv:
        if arg.startswith("-") or len(words) == 2:
            break
        words.append(arg if len(arg) <= 60 else arg[:57] + "...")
    return " ".join(["detente", *words])


def main() -> None:
    """Entry point: run the app; user errors become one line and exit code 2; SIGINT and
    SIGTERM one line and exit code 130 and 143 (``detente.cli.interrupt``)."""
    from detente.cli import interrupt

    interrupt.install(_what(sys.argv[1:]))
    code: int | str | None = 0
    try:
        check_arguments(sys.argv[1:])
        app()
    except DetenteError as exc:
        sys.stderr.write(f"error: {exc}\n")
        code = 2
    except KeyboardInterrupt:
        code = 130
    except SystemExit as exc:
        code = exc.code
    if interrupt.received():
        interrupt.finish(interrupt.received(), kept=True)
    if code == 130:  # a KeyboardInterrupt raised without a signal (as a test may)
        interrupt.finish(2, kept=True)
    sys.exit(code)


def check_arguments(argv: list[str]) -> None:
    """Refuse an argument typed with lookalike characters (``ｈanoi-2019``, ``--set ｌeakage=1``)
    unless it names an existing file: Python would read some of them as their ASCII twins."""
    from detente.scenario import screen

    option = ""
    for arg in argv:
        where, option = (option or "argument"), (arg.split("=")[0] if arg.startswith("--") and "=" not in arg else "")
        if where == "--set" or arg.startswith("--set="):
            continue  # --set NAME=VALUE says itself which part is wrong
        if not Path(arg).exists():
            screen.plain_argument(where, arg)


if __name__ == "__main__":
    main()
