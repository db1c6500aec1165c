"""`detente backtest`: detente's verdicts on case files against what happened."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from detente import api
from detente.cli.common import JsonOpt, NoStoreOpt, StoreOpt, _console, _print_json, _Recording
from detente.cli.render_table import figure_column, label_column, show
from detente.errors import ScenarioError

if TYPE_CHECKING:
    from detente.results import BacktestResult


def backtest(
    cases: Annotated[
        list[str] | None,
        typer.Argument(help="Case ids, case files or folders of case files (default: the case bank)."),
    ] = None,
    as_json: JsonOpt = False,
    html: Annotated[
        Path | None,
        typer.Option("--html", metavar="FILE", help="Also write the backtest as one offline HTML page, with a calibration chart."),
    ] = None,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """Held to the record: per case and stage, detente's verdict against what happened; a
    confusion matrix, accuracy by stage, Brier and log scores beside simple baselines."""
    scenarios = api.case_files(cases or [])
    text = "\n".join(sc.content_hash for sc in scenarios).encode()
    digest = hashlib.sha256(text).hexdigest()
    options: dict[str, object] = {"cases": [sc.id for sc in scenarios]}
    with _Recording(store, no_store, "backtest", "case-bank" if not cases else ",".join(cases), digest, text, {}, {}, None, options) as record:
        result = api.backtest(scenarios, forecasts=not cases)  # the bank: the built-in forecasts against their record too
        record.save(result)
    if html is not None:
        from detente.report.backtest import backtest_report

        try:
            html.write_text(backtest_report(result), encoding="utf-8")
        except OSError as exc:
            raise ScenarioError(str(html), "--html", f"cannot write: {exc.strerror or exc}") from None
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render_backtest(result)
    if html is not None:
        _console().print(f"Wrote {html}.")


def render_backtest(result: BacktestResult) -> None:
    from detente.cli import render_forecast

    console = _console()
    table = Table(title="Each case, stage by stage: detente's verdict against the record", title_justify="left", expand=True)
    label_column(table, "case", ratio=2)
    figure_column(table, "stage")
    label_column(table, "record", ratio=2)
    label_column(table, "detente", ratio=2)
    figure_column(table, "P taken")
    label_column(table, "")
    for c in result.cases:
        for i, s in enumerate(c.stages):
            record = "taken" if s.recorded == "taken" else f"{s.recorded} by {', '.join(s.recorded_by)}"
            said = "taken" if s.predicted_taken else f"not taken: {', '.join(s.predicted_by)}"
            mark = Text("agrees", style="green") if s.agrees else Text("differs", style="red")
            table.add_row(f"{c.case} ({c.outcome})" if i == 0 else "", str(s.stage), record, said, f"{s.p_taken:.2f}", mark,
                          end_section=i == len(c.stages) - 1)
    show(console, table)
    cm = result.confusion
    console.print(
        "[bold]Confusion[/bold] (detente → record): taken → taken "
        f"{cm['taken']['taken']}, taken → not taken {cm['taken']['not taken']}, not taken → taken "
        f"{cm['not taken']['taken']}, not taken → not taken {cm['not taken']['not taken']}."
    )
    console.print(
        "[bold]Agreement by stage[/bold]: " + ", ".join(f"stage {k} {v:.0%}" for k, v in result.accuracy_by_stage.items()) + "."
    )
    scores = Table(title=f"Scores over the recorded stages (log loss with probabilities clipped to [{result.clip}, {1 - result.clip}])", title_justify="left")
    label_column(scores, "forecaster")
    figure_column(scores, "Brier")
    figure_column(scores, "log loss")
    figure_column(scores, "accuracy")
    figure_column(scores, "n")
    for row in result.scores + result.event_scores:
        scores.add_row(row.forecaster, f"{row.brier:.3f}", f"{row.log_loss:.3f}", f"{row.accuracy:.0%}", str(row.n))
    show(console, scores)
    cal = Table(title="Calibration of detente's P taken", title_justify="left")
    for col in ("bin", "stages", "mean P", "taken"):
        figure_column(cal, col)
    for b in result.calibration:
        cal.add_row(
            f"{b.low:.1f}-{b.high:.1f}", str(b.n),
            "—" if b.mean_probability is None else f"{b.mean_probability:.2f}",
            "—" if b.frequency is None else f"{b.frequency:.2f}",
        )
    show(console, cal)
    limits = [c for c in result.cases if c.limits]
    if limits:
        console.print("[bold]What the model cannot express[/bold] (from the case files):")
        for c in limits:
            console.print(f"  • {c.case}: {c.limits}")
    console.print(f"[bold]In short:[/bold] {result.summary}")
    for fc in result.forecasts:
        render_forecast.backtest(console, fc)
