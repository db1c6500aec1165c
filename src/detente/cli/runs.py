"""``detente runs``: list, show, export and diff the runs recorded in the run store.

Mounted by the main app as ``app.add_typer(runs_app, name="runs")``. Store errors are
:class:`~detente.store.StoreError` (a ``DetenteError``): the app prints them as one line and exits 2.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from detente.cli.render_table import figure_column, label_column
from detente.cli.render_table import show as show_table

if TYPE_CHECKING:
    from detente.store import Difference, RunRecord, RunStore


runs_app = typer.Typer(
    help="Recorded simulate, sensitivity and solve runs: list, show, export, diff.",
    no_args_is_help=True,
)


class FormatChoice(StrEnum):
    parquet = "parquet"
    csv = "csv"


StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        metavar="PATH",
        help="The run store file (default: $DETENTE_STORE, else runs.duckdb in the user data dir).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
RunArg = Annotated[str, typer.Argument(metavar="ID", help="A run id or a unique prefix (4+ chars).")]


def _store(path: Path | None) -> RunStore:
    from detente.store import RunStore, default_store_path

    return RunStore(path if path is not None else default_store_path())


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def _value(x: Any) -> str:
    """A compact text for one value: numbers to 6 significant digits, the rest as JSON."""
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, str):
        return x
    return json.dumps(x, ensure_ascii=False)


def _pairs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in values.items()) or "—"


def _when(record: RunRecord) -> str:
    return record.started_at.strftime("%Y-%m-%d %H:%M:%S")


def summary(record: RunRecord) -> str:
    """One short line on what was asked: the overrides, then the size of the run."""
    parts = [f"{k}={_value(v)}" for k, v in record.overrides.items()]
    for key in ("samples", "metric", "method", "strategies"):
        value = record.options.get(key)
        if isinstance(value, list):
            parts.append(f"{len(value)} {key}")
        elif value is not None:
            parts.append(f"{key}={_value(value)}")
    return " ".join(parts)


@runs_app.command("list")
def list_runs(
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only this kind: simulate, sensitivity, solve.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many runs.")] = 50,
    store_path: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The recorded runs, newest first."""
    store = _store(store_path)
    records = store.list(limit=limit, kind=kind)
    if as_json:
        _print_json({"store": str(store.path), "runs": [r.model_dump(mode="json") for r in records]})
        return
    console = _console()
    if not records:
        console.print(f"no runs in {escape(str(store.path))}")
        return
    table = Table(
        title=f"Runs in {escape(str(store.path))} (times in UTC)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
    )
    wide = console.width >= 100  # narrower: seconds and seed give way to the summary
    dated = console.width >= 64  # narrower still: so does the start time
    label_column(table, "id", min_width=len(records[0].id))
    label_column(table, "kind")
    label_column(table, "status")
    label_column(table, "scenario")
    if dated:
        label_column(table, "started")
    if wide:
        figure_column(table, "seconds")
        figure_column(table, "seed")
    label_column(table, "summary")
    for r in records:
        cells = [r.id, r.kind, _status(r.status), escape(r.scenario_id)]
        if dated:
            cells.append(r.started_at.strftime("%m-%d %H:%M"))
        if wide:
            cells += ["—" if r.seconds is None else f"{r.seconds:.2f}", "—" if r.seed is None else str(r.seed)]
        table.add_row(*cells, escape(summary(r)))
    show_table(console, table)


def _status(status: str) -> str:
    style = {"complete": "green", "running": "cyan", "interrupted": "yellow"}.get(status, "red")
    return f"[{style}]{status}[/{style}]"


@runs_app.command("show")
def show(
    run_id: RunArg,
    scenario: Annotated[
        bool, typer.Option("--scenario", help="Print only the scenario TOML the run read.")
    ] = False,
    store_path: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One run: its settings, its tables and its result."""
    store = _store(store_path)
    if scenario:
        sys.stdout.write(store.scenario_text(run_id))
        return
    record = store.get(run_id)
    sizes = store.table_sizes(record.id)
    if as_json:
        _print_json({**record.model_dump(mode="json"), "tables": sizes})
        return
    console = _console()
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    label_column(table, style="bold")
    label_column(table)
    finished = record.finished_at.strftime("%Y-%m-%d %H:%M:%S") if record.finished_at else "—"
    rows = [
        ("id", record.id),
        ("kind", record.kind),
        ("status", _status(record.status)),
        ("scenario", escape(f"{record.scenario_id} ({record.content_hash})")),
        ("started (UTC)", _when(record)),
        ("finished (UTC)", finished),
        ("seconds", "—" if record.seconds is None else f"{record.seconds:.3f}"),
        ("seed", "—" if record.seed is None else str(record.seed)),
        ("parameters", escape(_pairs(record.parameters))),
        ("overrides", escape(_pairs(record.overrides))),
        ("options", escape(_pairs(record.options))),
        ("detente", escape(record.version)),
        ("process", escape(f"{record.pid} on {record.hostname}")),
        ("tables", escape(_pairs(sizes))),
    ]
    for key, value in rows:
        table.add_row(key, value)
    show_table(console, table)
    if record.result is None:
        console.print(f"\n[dim]no result: the run is {record.status}[/dim]")
        return
    console.print("\n[bold]result[/bold]")
    console.print(escape(json.dumps(record.result, indent=2, ensure_ascii=False)))


@runs_app.command("export")
def export(
    run_id: RunArg,
    fmt: Annotated[
        FormatChoice, typer.Option("--format", help="parquet (typed columns) or csv (header row).")
    ] = FormatChoice.parquet,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="The file to write (default ./<id>.<format>); several tables: PATH-stem_<table>.",
            show_default=False,
        ),
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", metavar="NAME", help="Export only this table.")
    ] = None,
    store_path: StoreOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a run's tables as parquet or CSV files; prints the paths written (existing files
    are refused without --force)."""
    from detente.store.db import ExportFormat

    store = _store(store_path)
    record = store.get(run_id)
    target = output if output is not None else Path.cwd() / f"{record.id}.{fmt.value}"
    kind: ExportFormat = "parquet" if fmt is FormatChoice.parquet else "csv"
    paths = store.export(record.id, target, kind, table, overwrite=force)
    if as_json:
        _print_json({"run": record.id, "format": fmt.value, "paths": [str(p) for p in paths]})
        return
    for p in paths:
        sys.stdout.write(f"{p}\n")


def _diff_rows(title: str, diffs: list[Difference]) -> Table:
    table = Table(title=title, title_justify="left")
    label_column(table, "key")
    label_column(table, "A", justify="right")  # a number, or a value as JSON (which may wrap)
    label_column(table, "B", justify="right")
    figure_column(table, "B − A")
    for d in diffs:
        a = "(absent)" if d.only == "b" else escape(_value(d.a))
        b = "(absent)" if d.only == "a" else escape(_value(d.b))
        delta = "" if d.delta is None else f"{d.delta:+.6g}"
        table.add_row(escape(d.key), a, b, delta)
    return table


@runs_app.command("diff")
def diff(
    run_a: Annotated[str, typer.Argument(metavar="A", help="The first run (id or prefix).")],
    run_b: Annotated[str, typer.Argument(metavar="B", help="The second run (id or prefix).")],
    timings: Annotated[
        bool, typer.Option("--timings", help="Also compare run times (they always differ).")
    ] = False,
    store_path: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What differs between two runs: settings, then results (with B − A for numbers)."""
    result = _store(store_path).diff(run_a, run_b, timings)
    if as_json:
        _print_json({**result.model_dump(mode="json"), "identical": result.identical})
        return
    console = _console()
    console.print(f"A = {result.a}   B = {result.b}")
    if result.identical:
        console.print("no differences")
        return
    if result.settings:
        show_table(console, _diff_rows("Settings", result.settings))
    else:
        console.print("settings: no differences")
    if result.results:
        show_table(console, _diff_rows("Results", result.results))
    else:
        console.print("results: no differences")
