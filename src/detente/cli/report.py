"""``detente report``: the analysis (or a forecast) as one self-contained HTML file, and its
charts as PNG/SVG for papers. A view over the API's results, like the other commands."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from detente import api
from detente.defaults import DEFAULT_SCENARIO
from detente.errors import ScenarioError


class FigureFormat(StrEnum):
    png = "png"
    svg = "svg"


def report(
    scenario: Annotated[
        str,
        typer.Argument(help="A library scenario id or TOML file; or a forecast (korea-six-party-2019, a forecast TOML, a KTAB CSV)."),
    ] = DEFAULT_SCENARIO,
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path("report.html"),
    simulate: Annotated[
        int | None, typer.Option("--simulate", metavar="N", help="Add the Monte Carlo outcomes per strategy (N histories each).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of --simulate and --sensitivity.")] = 0,
    sensitivity: Annotated[
        int | None, typer.Option("--sensitivity", metavar="N", help="Add Sobol' indices (N base samples, a power of 2).")
    ] = None,
    figures: Annotated[
        Path | None, typer.Option("--figures", metavar="DIR", help="Also write each chart to DIR as PNG or SVG (needs kaleido and Chrome/Chromium).")
    ] = None,
    fmt: Annotated[FigureFormat, typer.Option("--format", help="The format of --figures.")] = FigureFormat.png,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes of --simulate and --sensitivity (default: every core).")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="Override a parameter: --set leakage=0.5 (repeatable).")
    ] = None,
    tipping: Annotated[
        bool, typer.Option("--tipping", help="Add the tipping points of every verdict (detente tipping; every core).")
    ] = False,
    sweep: Annotated[
        list[str] | None,
        typer.Option("--sweep", metavar="NAME=START:STOP:STEP", help="Add a sweep's region map (once or twice: one or two parameters)."),
    ] = None,
) -> None:
    """One self-contained HTML report (works offline): the scenario, the deal, the charts."""
    from plotly.graph_objects import Figure

    from detente.report import export
    from detente.report.figures import analysis_figures, forecast_positions
    from detente.report.html import analysis_report, forecast_report
    from detente.report.validation_figures import sweep_map

    for name, value in (("--simulate", simulate), ("--sensitivity", sensitivity), ("--workers", workers)):
        if value is not None and value < 1:
            raise ScenarioError(scenario, name, f"must be at least 1, got {value}")
    if fmt is not FigureFormat.png and figures is None:
        raise ScenarioError(scenario, "--format", "applies to --figures DIR")
    figs: dict[str, Figure]
    if api.is_forecast(scenario):
        for name, given in (
            ("--simulate", simulate), ("--sensitivity", sensitivity), ("--set", set_), ("--tipping", tipping), ("--sweep", sweep),
        ):
            if given:
                raise ScenarioError(scenario, name, "applies to a bilateral scenario, not a forecast")
        fc = api.forecast(scenario)
        lines = forecast_positions(fc)
        page = forecast_report(fc, lines)
        figs = {f"forecast-{k + 1}": fig for k, fig in enumerate(lines)}
    else:
        sc = api.load(scenario, api.parse_overrides(set_))
        if sweep:
            api.check_sweep(sc, sweep, workers)  # a bad range is refused before anything is computed
        analysis, beliefs, signals = api.overview(sc)
        sim = api.simulate(sc, simulate, seed, workers=workers) if simulate else None
        sens = api.sensitivity(sc, samples=sensitivity, seed=seed, workers=workers) if sensitivity else None
        figs = analysis_figures(analysis, sc, beliefs, signals, sim, sens)
        tipped = api.tipping(sc, workers=workers) if tipping else None
        swept = api.sweep_result(sc, sweep, workers=workers) if sweep else None
        if swept is not None:
            figs["sweep"] = sweep_map(swept)
        page = analysis_report(sc, analysis, beliefs, signals, sim, sens, figs, tipped, swept)
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(str(output), "--output", f"cannot write: {exc.strerror or exc}") from None
    print(f"wrote {output} ({len(figs)} charts; self-contained, works offline)")
    if figures is not None:
        paths = export.write_figures(figs, figures, fmt.value)
        print(f"wrote {len(paths)} {fmt.value.upper()} files to {figures}: " + ", ".join(p.name for p in paths))
