"""The ``detente`` command line (typer + rich). Errors: one line on stderr, exit code 2."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from detente import __version__, api
from detente.cli import render
from detente.cli.report import report as report_command
from detente.cli.runs import runs_app
from detente.cli.serve import serve
from detente.errors import DetenteError, ScenarioError
from detente.scenario import library
from detente.scenario.loader import parse_overrides, read_source
from detente.scenario.model import Scenario
from detente.scenario.schema import ScenarioSpec
from detente.smp.link import LinkedValue, linked_values
from detente.smp.scenario import ids as forecast_ids
from detente.smp.scenario import library_text, read_input
from detente.store import RunStore, default_store_path
from detente.store.tables import (
    forecast_tables,
    sensitivity_tables,
    simulation_tables,
    solve_tables,
)
from detente.uncertainty.sensitivity import parse_metrics
from detente.uncertainty.simulate import DEFAULT_STRATEGIES


class MethodChoice(StrEnum):
    sobol = "sobol"
    morris = "morris"


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
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", help="Worker processes (default: every core); with --dask local, its workers."),
]
DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="local|tcp://HOST:PORT",
        help="Run on Dask: a LocalCluster, or a running scheduler (see docs/howto/run-on-a-cluster.md).",
    ),
]
StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="The run store to record in (default: $DETENTE_STORE, else the user data directory)."),
]
NoStoreOpt = Annotated[bool, typer.Option("--no-store", help="Do not record this run.")]
BeliefsOpt = Annotated[
    BeliefsChoice,
    typer.Option("--beliefs", help="The types' priors, or their posteriors after the event timeline."),
]


class _Recording:
    """A run in the store: begun before the work (so a store that cannot be written fails
    before anything is computed), finished with its result, or as failed or interrupted."""

    def __init__(
        self,
        store: Path | None,
        no_store: bool,
        kind: str,
        scenario_id: str,
        content_hash: str,
        text: bytes,
        parameters: dict[str, float],
        overrides: dict[str, float],
        seed: int | None,
        options: dict[str, object],
    ) -> None:
        self.store = None if no_store else RunStore(store or default_store_path())
        self.run_id = ""
        self.started = time.perf_counter()
        if self.store is not None:
            self.run_id = self.store.begin(
                kind, scenario_id, content_hash, text.decode("utf-8", "replace"), parameters,
                overrides, seed, options, __version__,
            )

    @classmethod
    def of(
        cls,
        store: Path | None,
        no_store: bool,
        kind: str,
        source: str,
        sc: Scenario,
        overrides: dict[str, float],
        seed: int | None,
        options: dict[str, object],
    ) -> _Recording:
        """A bilateral scenario's run (its source is read again only when it is recorded)."""
        data = b"" if no_store else read_source(source)[1]
        return cls(store, no_store, kind, sc.id, sc.content_hash, data, dict(sc.parameters), overrides, seed, options)

    def __enter__(self) -> _Recording:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if self.store is None or exc is None:
            return
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        self.store.finish(self.run_id, status, time.perf_counter() - self.started, {"error": str(exc) or status}, {})

    def save(self, result: BaseModel, tables: dict[str, list[dict[str, object]]], complete: bool = True) -> None:
        if self.store is None:
            return
        self.store.finish(
            self.run_id,
            "complete" if complete else "interrupted",
            time.perf_counter() - self.started,
            result.model_dump(mode="json"),
            tables,
        )
        sys.stderr.write(f"recorded as run {self.run_id} in {self.store.path}\n")


def _check_execution(origin: str, workers: int | None, dask: str | None) -> None:
    if workers is not None and workers < 1:
        raise ScenarioError(origin, "--workers", f"must be at least 1, got {workers}")
    if dask is not None and dask != "local" and not re.match(r"^(tcp|tls|inproc|ucx)://\S+$", dask):
        raise ScenarioError(origin, "--dask", f"expected 'local' or a scheduler address such as tcp://HOST:8786, got {dask!r}")


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False, emoji=False)


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


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
) -> None:
    """The whole analysis of a scenario (default: hanoi-2019) on one screen."""
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


@app.command()
def solve(
    scenario: ScenarioArg,
    set_: SetOpt = None,
    robust: Annotated[
        float | None,
        typer.Option(
            "--robust",
            metavar="TAU",
            help="Keep IC for every type at least TAU likely; the others may quit (MODEL.md §9).",
        ),
    ] = None,
    beliefs_at: BeliefsOpt = BeliefsChoice.prior,
    as_json: JsonOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """The self-enforcing deal that maximises the Nash product, or why there is none."""
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
            result = api.solve(sc)
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
        bool, typer.Option("--types", help="Also say what each type of each party would do (MODEL.md §9).")
    ] = False,
    beliefs_at: BeliefsOpt = BeliefsChoice.prior,
    as_json: JsonOpt = False,
) -> None:
    """Audit a schedule stage by stage: who would deviate, where, and by how much."""
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
        typer.Option("--robust", metavar="TAU", help="The threshold of the deals compared (MODEL.md §9)."),
    ] = 0.25,
    beliefs_at: BeliefsOpt = BeliefsChoice.prior,
    as_json: JsonOpt = False,
) -> None:
    """Which signals would separate the sender's good type, and by what margins."""
    sc = api.load(scenario, parse_overrides(set_))
    result = api.signals(sc, robust, beliefs_at.value)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.signals(_console(), sc, result)


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
    """Summit versus working level: Monte Carlo histories of the talks (MODEL.md §11)."""
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
    """Which uncertain numbers matter: Sobol' or Morris indices over the [uncertainty] ranges."""
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


@app.command()
def forecast(
    source: Annotated[
        str,
        typer.Argument(help="A built-in forecast scenario (korea-six-party-2019), a forecast TOML file or a KTAB SMP CSV."),
    ] = "korea-six-party-2019",
    max_turns: Annotated[int, typer.Option("--max-turns", help="Stop after this many turns at most.")] = 100,
    as_json: JsonOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """The multi-actor forecast: KTAB's spatial model of politics, turn by turn."""
    _, data, inp = read_input(source)
    digest = hashlib.sha256(data).hexdigest()
    options: dict[str, object] = {"max_turns": max_turns}
    with _Recording(store, no_store, "forecast", inp.name, digest, data, {}, {}, None, options) as record:
        result = api.forecast(inp, max_turns)
        record.save(result, forecast_tables(result))
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.forecast(_console(), result)


app.command("report")(report_command)


@scenarios_app.command("list")
def scenarios_list() -> None:
    """The built-in scenarios."""
    table = Table(title="Built-in scenarios", title_justify="left")
    table.add_column("id")
    table.add_column("title")
    table.add_column("moves", justify="right")
    table.add_column("proposals", justify="right")
    for sid in library.ids():
        sc = api.load(sid)
        table.add_row(sid, sc.title, str(len(sc.moves)), str(len(sc.proposals)))
    _console().print(table)
    forecasts = Table(title="Built-in forecast scenarios (detente forecast)", title_justify="left")
    forecasts.add_column("id")
    forecasts.add_column("title")
    forecasts.add_column("actors", justify="right")
    forecasts.add_column("dimensions", justify="right")
    for fid in forecast_ids():
        _, _, inp = read_input(fid)
        forecasts.add_row(fid, inp.name, str(len(inp.actor_names)), str(len(inp.dimension_names)))
    _console().print(forecasts)


@scenarios_app.command("show")
def scenarios_show(scenario_id: Annotated[str, typer.Argument(help="Library id or file.")]) -> None:
    """Print a scenario's TOML (to copy and edit): bilateral or forecast."""
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
    _print_json(ScenarioSpec.model_json_schema())


def main() -> None:
    """Entry point: run the app; user errors become one line and exit code 2."""
    try:
        app()
    except DetenteError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
