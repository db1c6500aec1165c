"""Tables for ``detente forecast --samples`` and ``--sensitivity`` (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from detente.cli.render import sensitivity_indices
from detente.smp.results import ForecastMonteCarloResult, Spread, Varied
from detente.smp.sensitivity import ForecastSensitivityResult


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
        table.add_column(name, justify="right", no_wrap=True)


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
    table.add_column("dimension", max_width=28)  # wraps, so the numbers fit a narrow terminal
    table.add_column("start", justify="right", no_wrap=True)
    _spread_columns(table)
    table.add_column("mean's 95% CI", justify="right", no_wrap=True)
    for o in r.outcomes:
        table.add_row(o.dimension_name, f"{o.start:.1f}", *_spread_cells(o.final), f"{o.mean_low:.1f}-{o.mean_high:.1f}")
    console.print(table)
    for o in r.outcomes:
        table = Table(title=f"{o.dimension_name}: final positions", title_justify="left")
        table.add_column("actor", no_wrap=True)
        table.add_column("start", justify="right", no_wrap=True)
        _spread_columns(table)
        for p in (p for p in r.positions if p.dimension == o.dimension):
            table.add_row(p.actor_name, f"{p.start:.1f}", *_spread_cells(p.final))
        console.print(table)
    within = r.stays[0].within if r.stays else 0.0
    table = Table(title="How far each actor ends from its start (0-100, over the dimensions)", title_justify="left")
    table.add_column("actor", no_wrap=True)
    table.add_column(f"P(within {within:g}) [95%]", justify="right", no_wrap=True)
    table.add_column("moved: mean", justify="right", no_wrap=True)
    table.add_column("5%", justify="right", no_wrap=True)
    table.add_column("95%", justify="right", no_wrap=True)
    for s in r.stays:
        table.add_row(
            s.actor_name, f"{s.p_within:.2f} [{s.p_low:.2f}, {s.p_high:.2f}]", f"{s.moved.mean:.1f}",
            f"{s.moved.p5:.1f}", f"{s.moved.p95:.1f}",
        )
    console.print(table)
    console.print(
        f"Turns: mean {r.turns.mean:.1f} (5% {r.turns.p5:g}, 95% {r.turns.p95:g}); "
        f"{100 * r.converged_share:.0f}% of the draws converged within {r.max_turns} turns."
    )


def sensitivity(console: Console, r: ForecastSensitivityResult) -> None:
    """Per metric, each input's share of its variance (Sobol') or elementary effects (Morris)."""
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


__all__ = ["monte_carlo", "sensitivity"]
