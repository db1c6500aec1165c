"""Rich views of tipping points, sweeps and comparisons. Figures never wrap (``no_wrap``); the
words around them do, so nothing numeric is cut at 80 columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from detente.cli.render_table import figure_column, label_column, show

if TYPE_CHECKING:
    from detente import Scenario
    from detente.results import (
        CompareResult,
        ParameterRange,
        SweepResult,
        TippingPoint,
        TippingResult,
    )


MAP_WIDTH = 78  # a sweep's region map is drawn only if it fits in this many columns


def _flip(p: TippingPoint, r: ParameterRange, precision: float) -> tuple[str, str]:
    """(the value it flips at, the change with its share of the value) as text."""
    assert p.flip is not None and p.change is not None
    d = r.decimals(precision)
    rel = "" if p.relative is None else f" ({p.relative:+.0%})"
    return f"{p.flip:.{d}f}", f"{p.change:+.{d}f}{rel}"


def grouped(points: list[TippingPoint]) -> list[tuple[TippingPoint, str]]:
    """Flips at the same (parameter, direction, value) as one row: the first point and every
    verdict's new value in words (the first stage's "no deal" is left out beside the deal's)."""

    groups: dict[tuple[str, str, float | None], list[TippingPoint]] = {}
    for p in points:
        groups.setdefault((p.parameter, p.direction, p.flip), []).append(p)
    out = []
    for members in groups.values():
        keys = {p.verdict for p in members}
        texts = [
            p.after or ""
            for p in members
            if not (p.verdict == "first-stage" and "deal" in keys and p.after and p.after.startswith("no deal"))
        ]
        out.append((members[0], "; ".join(texts)))
    return out


def closest_line(console: Console, result: TippingResult | str | None) -> None:
    """``detente run``'s tipping points: the flips nearest the current values (a sentence when
    they were left to ``detente tipping``; nothing without parameters)."""
    if result is None:
        return
    if isinstance(result, str):
        console.print(result)
        return
    ranges = {r.parameter: r for r in result.parameters}
    more = "`detente tipping` lists every flip" + (
        "" if result.offers or result.protocol != "offers" else " and searches the offers verdicts too"
    )
    if not result.closest:
        console.print(f"[bold]Tipping points:[/bold] no verdict flips within the parameters' ranges; {more}.")
        return
    rows = grouped(result.closest)
    table = Table(
        title=f"Tipping points: the {len(rows)} closest", title_justify="left", caption=f"{more}.",
        caption_justify="left", box=box.SIMPLE_HEAD, expand=True, padding=(0, 1),
    )
    label_column(table, "parameter")
    figure_column(table, "now")
    figure_column(table, "flips at")
    figure_column(table, "change")
    label_column(table, "then", ratio=1)
    for p, then in rows:
        at, change = _flip(p, ranges[p.parameter], result.precision)
        table.add_row(p.parameter, f"{p.value:g}", at, change, then)
    show(console, table)


def tipping(console: Console, scenario: Scenario, result: TippingResult) -> None:
    """``detente tipping``: per verdict, the flips down and up of every parameter."""

    ranges = {r.parameter: r for r in result.parameters}
    console.print(
        f"[bold]Tipping points of {result.scenario}[/bold]: for each verdict, the nearest value of each "
        f"parameter at which it flips ({result.steps} grid steps across each range, bisection to "
        f"{result.precision:g} of the range; every point an exact solve)."
    )
    by_verdict: dict[str, list[TippingPoint]] = {}
    for p in result.points:
        by_verdict.setdefault(p.verdict, []).append(p)
    for v in result.verdicts:
        points = by_verdict.get(v.verdict, [])
        flips = [p for p in points if p.flip is not None]
        console.print(f"[bold]{v.question[0].upper()}{v.question[1:]}[/bold]. Now: {v.now}.")
        if flips:
            table = Table(box=box.SIMPLE_HEAD, expand=True, padding=(0, 1))
            label_column(table, "parameter")
            figure_column(table, "now")
            label_column(table, "")
            figure_column(table, "flips at")
            figure_column(table, "change")
            label_column(table, "then", ratio=1)
            for p in flips:
                at, change = _flip(p, ranges[p.parameter], result.precision)
                table.add_row(p.parameter, f"{p.value:g}", p.direction, at, change, p.after or "")
            show(console, table)
        steady = [p for p in points if p.flip is None]
        if steady:
            names: dict[str, list[str]] = {}
            for p in steady:
                names.setdefault(p.parameter, []).append(p.direction)
            text = ", ".join(f"{n} ({' and '.join(ds)})" if len(ds) < 2 else n for n, ds in names.items())
            console.print(Text(f"  No flip within the range: {text}.", style="dim"))
    if result.closest:
        console.print("[bold]Closest[/bold] (the change as a share of the parameter's range):")
        for p, then in grouped(result.closest):
            at, change = _flip(p, ranges[p.parameter], result.precision)
            console.print(f"  • {p.parameter} from {p.value:g} to {at}, a change of {change}: {then}.")
    console.print("[bold]Ranges searched[/bold]:")
    for r in result.parameters:
        fixed = "; the offers game does not depend on it (the types set it)" if r.offers_fixed else ""
        console.print(f"  {r.parameter} = {r.value:g}: {r.basis}{fixed}.")
    for n in result.notes:
        console.print(f"[dim]{n}[/dim]")
    console.print(
        f"[dim]{result.evaluations} points solved exactly; {result.seconds:.1f} s, {result.executor}.[/dim]"
    )


def sweep(console: Console, scenario: Scenario, result: SweepResult) -> None:
    """``detente sweep``: one row per point (deal letter, gains, proposals), the deals' legend
    and, for two parameters, the region map."""
    names = {p.id: p.name for p in scenario.parties}
    letters = {d.text: d.letter for d in result.deals}
    axes = [a.parameter for a in result.axes]
    offers = "opening" in result.columns
    openings: dict[str, str] = {}
    for r in result.rows:
        o = str(r.get("opening", ""))
        if offers and o and o not in openings:
            openings[o] = f"o{len(openings) + 1}"
    table = Table(
        title=f"Sweep of {result.scenario}: {len(result.rows)} points", title_justify="left",
        box=box.SIMPLE_HEAD, padding=(0, 1),
    )
    for a in axes:
        figure_column(table, a)
    label_column(table, "deal")
    parties = [p.id for p in scenario.parties]
    for p in parties:
        figure_column(table, f"gain {p}")
    proposals = [c for c in result.columns if c.startswith("proposal:")]
    if proposals:
        label_column(table, "holds")
    if offers:
        label_column(table, "opening")
        figure_column(table, "P(deal)")
    for r in result.rows:
        cells = [f"{float(r[a]):g}" for a in axes]
        cells.append(letters[str(r["schedule"])])
        cells += [f"{float(r[f'gain:{p}']):.2f}" for p in parties]
        if proposals:
            held = [c[9:] for c in proposals if r[c]]
            cells.append(", ".join(held) if held else "none")
        if offers:
            o = str(r["opening"])
            cells += [openings.get(o, "none"), f"{float(r['p_deal']):.2f}"]
        table.add_row(*cells)
    show(console, table)
    console.print("[bold]Deals[/bold] (the Nash deal at each point):")
    for d in result.deals:
        console.print(f"  {d.letter} = {d.words} ({d.points} point{'s' if d.points != 1 else ''})")
    if proposals:
        console.print("  holds: the proposals that are self-enforcing deals there.")
    if offers:
        console.print(f"[bold]Openings[/bold] (the first offer of {names.get(scenario.bargaining.proposer or '', '')}'s most likely type):")
        for text, tag in openings.items():
            console.print(f"  {tag}: {text}")
    if len(axes) == 2:
        _region_map(console, result)
    console.print(f"[dim]{len(result.rows)} points solved exactly; {result.seconds:.1f} s, {result.executor}.[/dim]")


def _region_map(console: Console, result: SweepResult) -> None:
    """Which deal where: the first parameter down, the second across, a letter per point."""
    a, b = result.axes
    letters = {d.text: d.letter for d in result.deals}
    head = [f"{v:g}" for v in b.values]
    rows = [f"{v:g}" for v in a.values]
    cell = max(len(h) for h in head + [d.letter for d in result.deals])
    left = max(len(r) for r in rows + [a.parameter])
    if left + 1 + len(head) * (cell + 1) > MAP_WIDTH:
        console.print("[dim]The region map is too wide for the terminal: see --output, --json or detente report --sweep.[/dim]")
        return
    console.print(f"[bold]Which deal where[/bold] ({a.parameter} down, {b.parameter} across):")
    console.print(" " * (left + 1) + " ".join(h.rjust(cell) for h in head))
    by = {(float(r[a.parameter]), float(r[b.parameter])): letters[str(r["schedule"])] for r in result.rows}
    for v, label in zip(a.values, rows, strict=True):
        console.print(label.rjust(left) + " " + " ".join(by[(v, w)].rjust(cell) for w in b.values))


def compare(console: Console, result: CompareResult) -> None:
    """``detente compare``: the two deals side by side, then the changes in words."""
    before, after = result.baseline, result.changed
    console.print(f"[bold]{after.label}[/bold] against [bold]{before.label}[/bold]")
    if result.parameters:
        params = Table(title="Parameters that differ", title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1))
        label_column(params, "parameter")
        figure_column(params, "against")
        figure_column(params, "this")
        for p in result.parameters:
            params.add_row(p.parameter, "—" if p.before is None else f"{p.before:g}", "—" if p.after is None else f"{p.after:g}")
        show(console, params)
    deals = Table(title="The deals side by side", title_justify="left", box=box.SIMPLE_HEAD, expand=True, padding=(0, 1))
    figure_column(deals, "stage")
    label_column(deals, f"against ({before.label})", ratio=1)
    label_column(deals, f"this ({after.label})", ratio=1)
    for k in range(max(len(before.schedule), len(after.schedule), 1)):
        left = ", ".join(before.schedule[k]) if k < len(before.schedule) else ("no deal" if k == 0 and not before.deal else "")
        right = ", ".join(after.schedule[k]) if k < len(after.schedule) else ("no deal" if k == 0 and not after.deal else "")
        deals.add_row(str(k + 1), left, right)
    show(console, deals)
    values = Table(box=box.SIMPLE_HEAD, padding=(0, 1))
    label_column(values, "party")
    figure_column(values, "value against")
    figure_column(values, "value this")
    figure_column(values, "gain against")
    figure_column(values, "gain this")
    for party in after.disagreement:
        values.add_row(
            party,
            _num((before.values or before.disagreement).get(party)),
            _num((after.values or after.disagreement).get(party)),
            _num((before.gains or {}).get(party, 0.0)),
            _num((after.gains or {}).get(party, 0.0)),
        )
    show(console, values)
    console.print("[bold]What changed, and why[/bold]:")
    for s in result.summary:
        console.print(f"  • {s}")


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"
