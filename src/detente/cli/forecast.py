"""``detente forecast``: one run of the SMP, a Monte Carlo over its uncertain inputs
(``--samples``), or the inputs' sensitivity indices (``--sensitivity``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel

from detente import api
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
from detente.defaults import FORECAST_WITHIN
from detente.errors import ScenarioError

if TYPE_CHECKING:
    from detente.api import ForecastSource, Transition

SENSITIVITY_SAMPLES = 64


def forecast(
    source: Annotated[
        str,
        typer.Argument(help="A built-in forecast scenario (korea-six-party-2019), a forecast TOML file or a KTAB SMP CSV."),
    ] = "korea-six-party-2019",
    max_turns: Annotated[int, typer.Option("--max-turns", help="Stop after this many turns at most.")] = 100,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples",
            help="Monte Carlo: N draws of the uncertain inputs. With --sensitivity: Sobol' base samples "
            f"(a power of 2) or Morris trajectories (default {SENSITIVITY_SAMPLES}).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same draws and results.")] = 0,
    stochastic: Annotated[
        bool,
        typer.Option("--stochastic", help="Sample each queue election's item from its probabilities (KTAB's default takes the most probable)."),
    ] = False,
    vary: Annotated[
        str | None,
        typer.Option(
            "--vary",
            metavar="capability=F,salience=G,position=W",
            help="Uniform ranges around every input instead of the file's \\[uncertainty]: capability and "
            "salience times 1±F, 1±G; position ±W points.",
        ),
    ] = None,
    within: Annotated[
        float, typer.Option("--within", help="Monte Carlo: report how often each actor ends within this distance (0-100) of its start.")
    ] = FORECAST_WITHIN,
    sensitivity: Annotated[
        bool, typer.Option("--sensitivity", help="Sobol' or Morris indices of --metric over the uncertain inputs.")
    ] = False,
    metric: Annotated[
        str | None,
        typer.Option(
            "--metric",
            help="With --sensitivity, comma-separated: outcome:DIM, position:ACTOR.DIM, moved:ACTOR "
            "(default: outcome on every dimension).",
        ),
    ] = None,
    method: Annotated[
        MethodChoice, typer.Option("--method", help="With --sensitivity: sobol (variance shares) or morris (a cheap screen).")
    ] = MethodChoice.sobol,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    as_json: JsonOpt = False,
    store: StoreOpt = None,
    no_store: NoStoreOpt = False,
) -> None:
    """The multi-actor forecast: KTAB's spatial model of politics, turn by turn; with
    --samples, a Monte Carlo over its uncertain inputs; with --sensitivity, which inputs matter."""
    from detente.cli import render, render_forecast

    src = api.read_forecast(source)
    transition: Transition = "stochastic" if stochastic else "deterministic"
    if not sensitivity:
        for given, name in ((metric is not None, "--metric"), (method is not MethodChoice.sobol, "--method")):
            if given:
                raise ScenarioError(src.origin, name, "applies to a sensitivity analysis: add --sensitivity")
    if samples is None and not sensitivity:
        if vary is not None:
            raise ScenarioError(src.origin, "--vary", "applies to a Monte Carlo or a sensitivity analysis: add --samples N or --sensitivity")
        _single(src, max_turns, transition, seed, as_json, store, no_store)
        return
    if not src.uncertain and vary is None:  # said with this command's flags
        if sensitivity:
            raise ScenarioError(src.origin, "uncertainty", "no uncertain inputs to vary: add an [uncertainty] table or --vary")
        if not stochastic:
            raise ScenarioError(src.origin, "--samples", "nothing is uncertain: add an [uncertainty] table, --vary, or --stochastic")
    options: dict[str, object] = {
        "max_turns": max_turns, "samples": samples, "transition": transition, "vary": vary,
        "workers": workers, "dask": dask,
    }
    if sensitivity:
        n = samples if samples is not None else SENSITIVITY_SAMPLES
        # every argument checked before anything is recorded
        api.check_forecast_sensitivity(src, metric, n, method.value, transition, vary, max_turns, workers, dask)
        options |= {"sensitivity": True, "metric": metric, "method": method.value}
        with (
            _Recording(store, no_store, "forecast-sensitivity", src.input.name, src.content_hash, src.data, {}, {}, seed, options) as record,
            render.progress_bar(enabled=not as_json, unit="points") as advance,
        ):
            sres = api.forecast_sensitivity(
                src, metric, n, method.value, seed, transition, vary, max_turns, workers, advance, dask
            )
            record.save(sres, sres.complete)
        _show(as_json, sres, lambda: render_forecast.sensitivity(_console(), sres))
        if not sres.complete:
            raise typer.Exit(130)
        return
    assert samples is not None
    api.check_forecast_monte_carlo(src, samples, transition, vary, max_turns, within, workers, dask)
    options["within"] = within
    with (
        _Recording(store, no_store, "forecast-mc", src.input.name, src.content_hash, src.data, {}, {}, seed, options) as record,
        render.progress_bar(enabled=not as_json, unit="draws") as advance,
    ):
        mres = api.forecast_monte_carlo(src, samples, seed, transition, vary, max_turns, within, workers, advance, dask)
        record.save(mres, mres.complete)
    _show(as_json, mres, lambda: render_forecast.monte_carlo(_console(), mres))
    if not mres.complete:
        raise typer.Exit(130)


def _show(as_json: bool, result: BaseModel, table: Callable[[], None]) -> None:
    if as_json:
        _print_json(result.model_dump(mode="json"))
    else:
        table()


def _single(
    src: ForecastSource, max_turns: int, transition: Transition, seed: int, as_json: bool, store: Path | None, no_store: bool
) -> None:
    from detente.cli import render

    options: dict[str, object] = {"max_turns": max_turns}
    stochastic = transition == "stochastic"
    if stochastic:
        options["transition"] = transition
    with _Recording(
        store, no_store, "forecast", src.input.name, src.content_hash, src.data, {}, {}, seed if stochastic else None, options
    ) as record:
        result = api.forecast(src.input, max_turns, transition, seed)
        record.save(result)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render.forecast(_console(), result, f"queue elections sampled (seed {seed})" if stochastic else None)


__all__ = ["forecast"]
