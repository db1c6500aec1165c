"""Tables for ``detente forecast --samples`` and ``--sensitivity``, and for a forecast held to its
record (rich)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from detente.cli.render_table import figure_column, label_column, show

if TYPE_CHECKING:
    from detente.results import (
        ForecastBacktestResult,
        ForecastMonteCarloResult,
        ForecastSensitivityResult,
        Spread,
        Varied,
    )



def _varied(v: Varied) -> str:
    p = v.params
    if v.distribution == "lognormal":
        return f"{v.key} (lognormal, median {p['median']:g}, σ {p['sigma']:g})"
    mode = f", mode {p['mode']:g}" if "mode" in p else ""
    shape = f", α {p['alpha']:g}, β {p['beta']:g}" if "alpha" in p else ""
    return f"{v.key} ({v.distribution} {p['low']:g}-{p['high']:g}{mode}{shape})"


def _varied_line(console: Console, varied: list[Varied]) -> None:
    if varied:
        console.print(f"Varied ({len(varied)}): " + ", ".join(_varied(v) for v in varied))
    else:
        console.print("Varied: no input (only the queue elections are sampled)")


def _spread_cells(s: Spread) -> list[str]:
    return [f"{s.mean:.1f}", f"{s.sd:.1f}", f"{s.p5:.1f}", f"{s.p50:.1f}", f"{s.p95:.1f}"]


def _spread_columns(table: Table) -> None:
    for name in ("mean", "sd", "5%", "50%", "95%"):
        figure_column(table, name)


def _transition(console: Console, transition: str) -> None:
    if transition == "stochastic":
        console.print("Transition: stochastic (each queue election's item drawn from its probabilities)")
    else:
        console.print("Transition: deterministic (KTAB's default: each queue election's most probable item)")


def monte_carlo(console: Console, r: ForecastMonteCarloResult) -> None:
    """Per dimension the outcome's and each actor's final position's distribution; how often
    each actor ends near its start."""
    console.print(
        f"[bold]Monte Carlo[/bold] of {r.source}: {r.completed} of {r.samples} draws (seed {r.seed}); "
        f"{r.seconds:.1f} s, {r.executor}"
    )
    _transition(console, r.transition)
    _varied_line(console, r.varied)
    if not r.complete:
        console.print("[yellow]Interrupted: the figures below cover the completed draws only.[/yellow]")
    if r.completed == 0:
        return
    table = Table(title="Outcome: the capability-weighted mean of the final positions (0-100)", title_justify="left")
    label_column(table, "dimension", max_width=28)
    figure_column(table, "start")
    _spread_columns(table)
    figure_column(table, "mean's 95% CI")
    for o in r.outcomes:
        table.add_row(o.dimension_name, f"{o.start:.1f}", *_spread_cells(o.final), f"{o.mean_low:.1f}-{o.mean_high:.1f}")
    show(console, table)
    for o in r.outcomes:
        table = Table(title=f"{o.dimension_name}: final positions", title_justify="left")
        label_column(table, "actor")
        figure_column(table, "start")
        _spread_columns(table)
        for p in (p for p in r.positions if p.dimension == o.dimension):
            table.add_row(p.actor_name, f"{p.start:.1f}", *_spread_cells(p.final))
        show(console, table)
    within = r.stays[0].within if r.stays else 0.0
    table = Table(title="How far each actor ends from its start (0-100, over the dimensions)", title_justify="left")
    label_column(table, "actor")
    figure_column(table, f"P(within {within:g}) [95%]")
    figure_column(table, "moved: mean")
    figure_column(table, "5%")
    figure_column(table, "95%")
    for s in r.stays:
        table.add_row(
            s.actor_name, f"{s.p_within:.2f} [{s.p_low:.2f}, {s.p_high:.2f}]", f"{s.moved.mean:.1f}",
            f"{s.moved.p5:.1f}", f"{s.moved.p95:.1f}",
        )
    show(console, table)
    console.print(
        f"Turns: mean {r.turns.mean:.1f} (5% {r.turns.p5:g}, 95% {r.turns.p95:g}); "
        f"{100 * r.converged_share:.0f}% of the draws converged within {r.max_turns} turns."
    )


def sensitivity(console: Console, r: ForecastSensitivityResult) -> None:
    """Per metric, each input's share of its variance (Sobol') or elementary effects (Morris)."""
    from detente.cli.render import sensitivity_indices

    method = "Sobol' indices" if r.method == "sobol" else "Morris elementary effects"
    console.print(
        f"[bold]{method}[/bold] of {r.source}: {r.completed} of {r.points} points "
        f"(N = {r.samples}, seed {r.seed}); {r.seconds:.1f} s, {r.executor}"
    )
    _transition(console, r.transition)
    _varied_line(console, r.varied)
    if not r.complete:
        console.print("[yellow]Interrupted: indices need every point of the design; none computed.[/yellow]")
        return
    sensitivity_indices(console, r.method, r.metrics, what="input")


def _opt(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def backtest(console: Console, r: ForecastBacktestResult) -> None:
    """The forecast against its [[record]]: per date the mean absolute errors of the forecast and of
    "nobody moves", per dimension and overall; the error after each turn; a row per entry."""
    state = "converged" if r.converged else "stopped at the turn limit"
    console.print(f"[bold]{r.title}[/bold] ({r.source}) against its record: {r.turns_run} turns ({state}).")
    console.print(r.calendar)
    chosen = any(s.turn is not None for s in r.scores)
    table = Table(
        title="Mean absolute error (0-100 points); gain = nobody moves - forecast; right way: the recorded moves "
        "the forecast moves the same way",
        title_justify="left",
    )
    label_column(table, "date")
    label_column(table, "dimension")
    figure_column(table, "n")
    figure_column(table, "forecast")
    figure_column(table, "nobody moves")
    figure_column(table, "gain")
    figure_column(table, "right way")
    if chosen:
        figure_column(table, "turn")
        figure_column(table, "at turn")
    for s in r.scores:
        cells = [
            s.date.isoformat(), s.dimension or "all", str(s.n), f"{s.forecast_mae:.1f}", f"{s.baseline_mae:.1f}",
            f"{s.gain:+.1f}", f"{s.same_direction} of {s.record_moved}",
        ]
        if chosen:
            cells += ["-" if s.turn is None else str(s.turn), _opt(s.at_turn_mae)]
        table.add_row(*cells)
    show(console, table)
    for c in r.by_turn:
        curve = ", ".join(f"{m:.1f}" for m in c.mae)
        console.print(f"{c.date.isoformat()}, error after each turn (0 = nobody moves): {curve}; smallest after turn {c.best_turn}.")
    rows = Table(
        title="Per actor and dimension (0-100; ids as in the file; baseline = nobody moves)",
        title_justify="left",
    )
    for name in ("date", "actor", "dimension"):
        label_column(rows, name)
    for name in ("record", "forecast", "baseline", "|fc-rec|", "|base-rec|"):
        figure_column(rows, name)
    if chosen:
        figure_column(rows, "at turn")
    for row in r.rows:
        cells = [
            row.date.isoformat(), row.actor, row.dimension, f"{row.record:.1f}", f"{row.forecast:.1f}",
            f"{row.baseline:.1f}", f"{row.forecast_error:.1f}", f"{row.baseline_error:.1f}",
        ]
        if chosen:
            cells.append(_opt(row.at_turn))
        rows.add_row(*cells)
    show(console, rows)
    console.print(r.summary)


__all__ = ["backtest", "monte_carlo", "sensitivity"]
