"""The ``detente`` command line (typer + rich). Errors: one line on stderr, exit code 2."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
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
    _console,
    _print_json,
    _Recording,
)
from detente.cli.forecast import forecast
from detente.cli.report import report as report_command
from detente.cli.runs import runs_app
from detente.cli.serve import serve
from detente.defaults import DEFAULT_SCENARIO, DEFAULT_STRATEGIES
from detente.errors import DetenteError, ScenarioError, ScheduleError, one_line


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
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = DEFAULT_SCENARIO,
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
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Compute afresh: neither read nor keep the result in the cache (docs/reference/cli.md, 'The result cache').",
        ),
    ] = False,
) -> None:
    """The whole analysis of a scenario (default: hanoi-2019) on one screen."""
    from detente import cache
    from detente.cli import render, render_validation
    from detente.results import Analysis, TippingResult

    sc = api.load(scenario, api.parse_overrides(set_), from_forecast=from_forecast)  # --set wins over a forecast
    parts = {"origin": sc.origin, "content": sc.content_hash, "parameters": sorted(sc.parameters.items()), "robust": robust}
    result = cache.cached("run", parts, Analysis, lambda: api.analyse(sc, robust), use=not no_cache, on_hit=_said_cached)
    for lv in sc.linked:
        (sys.stderr.write if as_json else _console().print)(lv.sentence + ("\n" if as_json else ""))
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.analysis(_console(), sc, result)
    if tipping:
        points = cache.cached(
            "run-tipping", parts, TippingResult | str | None, lambda: validation.run_tipping(sc, result), use=not no_cache  # type: ignore[arg-type]
        )
        render_validation.closest_line(_console(), points)


def _said_cached() -> None:
    """On standard error, so that the printed analysis (or its JSON) is the same either way."""
    sys.stderr.write(
        "detente: from the result cache (same scenario, options, code and libraries); --no-cache computes afresh\n"
    )


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

    overrides = api.parse_overrides(set_)
    sc = api.load(scenario, overrides)
    if robust is None and beliefs_at is not BeliefsChoice.prior:
        raise ScenarioError(sc.origin, "--beliefs", "applies to a robust solve: add --robust TAU")
    options: dict[str, object] = {"robust": robust, "beliefs": beliefs_at.value if robust is not None else None}
    with _Recording.of(store, no_store, "solve", scenario, sc, overrides, None, options) as record:
        if robust is not None:
            robust_result = api.solve_robust(sc, robust, beliefs_at.value)
            record.save(robust_result)
        else:
            result = api.solve(sc, frontier=frontier)
            record.save(result)
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

    sc = api.load(scenario, api.parse_overrides(set_))
    if (proposal is None) == (stages is None):
        raise ScheduleError(sc.origin, "--proposal", "give either a proposal id (--proposal) or stages (--stages), not both")
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
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = DEFAULT_SCENARIO,
    set_: SetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What each side should believe about the other's type after the event timeline."""
    from detente.cli import render

    sc = api.load(scenario, api.parse_overrides(set_))
    result = api.beliefs(sc)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.beliefs(_console(), sc, result)


@app.command()
def signals(
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = DEFAULT_SCENARIO,
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

    sc = api.load(scenario, api.parse_overrides(set_))
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
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = DEFAULT_SCENARIO,
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

    sc = api.load(scenario, api.parse_overrides(set_))
    result = api.offers(sc, proposer, beliefs_at.value, rounds, None if candidates is None else candidates.value)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.offers(_console(), sc, result)


@app.command()
def simulate(
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = DEFAULT_SCENARIO,
    samples: Annotated[int, typer.Option("--samples", help="Histories to simulate per strategy.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same results.")] = 0,
    strategies: Annotated[
        str,
        typer.Option(
            "--strategies",
            help="Comma-separated: summit-first, working-N (N working-level rounds before each summit).",
        ),
    ] = ",".join(DEFAULT_STRATEGIES),
    beliefs: Annotated[
        str,
        typer.Option("--beliefs", help="Draw each history's true types from the prior, the posterior (after the events), or none (version 1)."),
    ] = "posterior",
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    set_: SetOpt = None,
    as_json: JsonOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Summit versus working level: Monte Carlo histories of the talks (docs/model.md, "Summit versus working level")."""
    from detente.cli import render

    overrides = api.parse_overrides(set_)
    sc = api.load(scenario, overrides)
    names = tuple(s.strip() for s in strategies.split(",") if s.strip())
    api.check_simulate(sc, samples, names, workers, dask, beliefs)  # refused before anything is recorded
    options: dict[str, object] = {
        "samples": samples, "strategies": list(names), "workers": workers, "dask": dask, "beliefs": beliefs,
    }
    with (
        _Recording.of(store, no_store, "simulate", scenario, sc, overrides, seed, options) as record,
        render.progress_bar(enabled=not as_json) as advance,
    ):
        result = api.simulate(sc, samples, seed, names, workers, advance, dask, beliefs)
        record.save(result, result.complete)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.simulation(_console(), sc, result)


@app.command()
def sensitivity(
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = DEFAULT_SCENARIO,
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

    overrides = api.parse_overrides(set_)
    sc = api.load(scenario, overrides)
    api.check_sensitivity(sc, metric, samples, method.value, histories, workers, dask)  # refused before anything is recorded
    options: dict[str, object] = {
        "method": method.value, "metric": metric, "samples": samples, "histories": histories,
        "workers": workers, "dask": dask,
    }
    with (
        _Recording.of(store, no_store, "sensitivity", scenario, sc, overrides, seed, options) as record,
        render.progress_bar(enabled=not as_json, unit="points") as advance,
    ):
        result = api.sensitivity(sc, metric, samples, method.value, seed, histories, workers, advance, dask)
        record.save(result, result.complete)
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
    from rich.markup import escape

    from detente.cli.render_table import figure_column, label_column, show

    # the files' own counts, read without resolving them: a list must come up at once
    entries = api.scenario_library()
    table = Table(title="Built-in scenarios", title_justify="left")
    label_column(table, "id")
    label_column(table, "title")
    figure_column(table, "moves")
    figure_column(table, "proposals")
    for e in entries:
        if e.kind == "bilateral":
            table.add_row(e.id, escape(e.title), str(e.moves), str(e.proposals))
    console = _console()
    show(console, table)
    forecasts = Table(title="Built-in forecast scenarios (detente forecast)", title_justify="left")
    label_column(forecasts, "id")
    label_column(forecasts, "title")
    figure_column(forecasts, "actors")
    figure_column(forecasts, "dimensions")
    for e in entries:
        if e.kind == "forecast":
            forecasts.add_row(e.id, escape(e.title), str(e.actors), str(e.dimensions))
    show(console, forecasts)


@scenarios_app.command("show")
def scenarios_show(scenario_id: Annotated[str, typer.Argument(help="Library id or file.")]) -> None:
    """Print a scenario's TOML (to copy and edit): bilateral or forecast."""
    origin, data = api.scenario_text(scenario_id)
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
    """Check a scenario file; exit 0 if valid, else list every error (one a line) and exit 2."""
    try:
        sc = api.load(file, api.parse_overrides(set_))
    except ScenarioError as exc:
        for line in error_lines(exc):
            sys.stderr.write(f"error: {line}\n")
        raise typer.Exit(2) from None
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
    _print_json(api.scenario_schema())


def _what(argv: list[str]) -> str:
    """The command as the interrupt's line names it: ``detente solve big.toml``."""
    words: list[str] = []
    for arg in argv:
        if arg.startswith("-") or len(words) == 2:
            break
        words.append(arg if len(arg) <= 60 else arg[:57] + "...")
    return " ".join(["detente", *words])


# The API names its Python parameters in errors; the command line names its flags instead.
FLAGS = {
    "beliefs": "--beliefs",
    "beliefs_at": "--beliefs",
    "candidates": "--candidates",
    "dask": "--dask",
    "from_forecast": "--from-forecast",
    "histories": "--histories",
    "max_turns": "--max-turns",
    "method": "--method",
    "metrics": "--metric",
    "precision": "--precision",
    "proposal": "--proposal",
    "proposer": "--proposer",
    "rounds": "--rounds",
    "samples": "--samples",
    "spreads": "--vary",
    "stages": "--stages",
    "steps": "--steps",
    "strategies": "--strategies",
    "tau": "--robust",
    "within": "--within",
    "workers": "--workers",
}
FLAG_PREFIXES = (("overrides.", "--set "), ("against_overrides.", "--set "))


def flag(key: str) -> str:
    """The flag that sets the API parameter ``key`` (``overrides.leakage`` → ``--set leakage``);
    any other key (a key path of the file) as it is."""
    if key in FLAGS:
        return FLAGS[key]
    for prefix, option in FLAG_PREFIXES:
        if key.startswith(prefix):
            return option + key.removeprefix(prefix)
    return key


def error_lines(exc: ScenarioError) -> list[str]:
    """Every problem of a scenario error, one line each, with the command line's flags."""
    source = flag(exc.source) if not exc.key else exc.source
    return [one_line(": ".join(part for part in (source, flag(key), reason) if part)) for key, reason in exc.problems]


def error_line(exc: DetenteError, argv: Sequence[str] = ()) -> str:
    """A user error as the one line ``main`` prints: the first problem, and how to see the others
    (the command that lists them keeps the ``--set`` items of ``argv`` that the errors concern)."""
    if isinstance(exc, ScenarioError):
        first, more = error_lines(exc)[0], len(exc.problems) - 1
        if more:
            against = any(key.startswith("against_overrides.") for key, _ in exc.problems)
            validate = shlex.join(["detente", "scenarios", "validate", exc.source, *_set_items(argv, against)])
            first += f" (and {more} more {'error' if more == 1 else 'errors'}: `{validate}` shows all)"
        return first
    from detente.parallel import ExecutionError

    text = str(exc)
    if isinstance(exc, ExecutionError) and text.startswith("dask"):  # "dask tcp://...: cannot reach the scheduler"
        return FLAGS["dask"] + text.removeprefix("dask")
    return text


def _set_items(argv: Sequence[str], against: bool) -> list[str]:
    """The ``--set NAME=VALUE`` items of a command line, as ``["--set", "NAME=VALUE", ...]``;
    with ``against``, those after ``detente compare``'s ``--against``, else those before it."""
    side = argv[argv.index("--against") + 1 :] if against and "--against" in argv else argv
    out: list[str] = []
    for i, word in enumerate(side):
        if word == "--against" and not against:
            break
        if word == "--set" and i + 1 < len(side):
            out += ["--set", side[i + 1]]
        elif word.startswith("--set="):
            out += ["--set", word.removeprefix("--set=")]
    return out


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
        sys.stderr.write(f"error: {error_line(exc, sys.argv[1:])}\n")
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
    option = ""
    for arg in argv:
        where, option = (option or "argument"), (arg.split("=")[0] if arg.startswith("--") and "=" not in arg else "")
        if where == "--set" or arg.startswith("--set="):
            continue  # --set NAME=VALUE says itself which part is wrong
        if not Path(arg).exists():
            api.check_plain(where, arg)


if __name__ == "__main__":
    main()
