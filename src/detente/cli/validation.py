"""``detente tipping``, ``detente sweep`` and ``detente compare``: how robust `detente run`'s
verdicts are to the numbers (docs/model.md, "Tipping points, sweeps and comparisons")."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from detente import api
from detente.cli.common import DaskOpt, JsonOpt, WorkersOpt, _console, _print_json
from detente.defaults import DEFAULT_SCENARIO, TIPPING_PRECISION, TIPPING_STEPS
from detente.errors import ScenarioError

if TYPE_CHECKING:
    from detente import Scenario
    from detente.results import Analysis, TippingResult

SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a parameter: --set leakage=0.5 (repeatable)."),
]


def tipping(
    scenario: Annotated[str, typer.Argument(help="Library id or TOML file.")] = DEFAULT_SCENARIO,
    parameter: Annotated[
        list[str] | None,
        typer.Option("--parameter", "-p", metavar="NAME", help="Search only this parameter (repeatable; default: every one)."),
    ] = None,
    offers: Annotated[
        bool, typer.Option("--offers/--no-offers", help="Under protocol offers: also the opening and each path's deal (the costly ones).")
    ] = True,
    steps: Annotated[int, typer.Option("--steps", help="Grid steps across each parameter's range, scanned outward from its value.")] = TIPPING_STEPS,
    precision: Annotated[
        float, typer.Option("--precision", help="Bisection stops within this share of the parameter's range.")
    ] = TIPPING_PRECISION,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    set_: SetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """For every verdict of `detente run`, the smallest change of each parameter (within its
    domain) that flips it, down and up: grid scan, then bisection, every point an exact solve."""
    from detente.cli import render, render_validation

    sc = api.load(scenario, api.parse_overrides(set_))
    with render.progress_bar(enabled=not as_json, unit="searches") as advance:
        result = api.tipping(sc, parameter, offers, steps, precision, workers, dask, advance)
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render_validation.tipping(_console(), sc, result)


RUN_BUDGET = 8.0  # estimated seconds of one core that `detente run` may spend on tipping points
SECONDS_PER_ENTRY = 1.2e-6  # a DP solve takes about this per entry of its frontiers (measured on
# hanoi-2019: 7,437 entries, 9 ms; jcpoa-2015: 25,956, 30 ms; singapore-2018: 98,584, 104 ms)


def run_tipping(sc: Scenario, analysis: Analysis) -> TippingResult | str | None:
    """What ``detente run`` adds: the tipping points of the verdicts one solve or one audit
    decides, on every core (the offers verdicts are left to ``detente tipping``); or, when the
    search would cost more than ``RUN_BUDGET`` (estimated from the size of the solver's
    frontiers, so the same on every machine), a sentence saying so; None without parameters."""
    if not sc.parameters:
        return None
    entries = analysis.solve.solver.frontier_entries
    points = len(sc.parameters) * (TIPPING_STEPS + 8)
    estimate = points * entries * SECONDS_PER_ENTRY
    if estimate > RUN_BUDGET:
        return (
            f"Tipping points: left to `detente tipping --no-offers` for this scenario (about {points} exact "
            f"solves of {entries:,} frontier entries each, some {estimate:.0f} s of one core)."
        )
    return api.tipping(sc, offers=False)


def sweep(
    args: Annotated[
        list[str],
        typer.Argument(
            metavar="[SCENARIO] NAME=START:STOP:STEP [NAME=START:STOP:STEP]",
            help="A library id or TOML file (default: hanoi-2019), then one or two parameters with "
            "their values: START:STOP:STEP (STOP included) or V1,V2,...",
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the table to FILE: .csv, or .parquet (needs pyarrow).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --output if it exists.")] = False,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    set_: SetOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One- and two-parameter sweeps of `detente run`'s verdicts and values: the deal, each
    party's value and gain, each proposal's verdict (and under offers the opening and P(deal))."""
    from detente.cli import render, render_validation

    scenario, axes = _split_sweep(args)
    sc = api.load(scenario, api.parse_overrides(set_))
    if output is not None:
        _check_output(output, force)
    api.check_sweep(sc, axes, workers, dask)  # a bad range is refused before anything is solved
    with render.progress_bar(enabled=not as_json, unit="points") as advance:
        result = api.sweep_result(sc, axes, workers, dask, advance)
    if output is not None:
        _write(result_frame=result.to_frame(), path=output)
        if not as_json:
            print(f"wrote {output} ({len(result.rows)} rows, {len(result.columns)} columns)")
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    if output is None:
        render_validation.sweep(_console(), sc, result)


def _split_sweep(args: list[str]) -> tuple[str, list[str]]:
    """[SCENARIO] AXIS [AXIS]: the first word is the scenario unless it names a parameter."""
    if not args:
        raise ScenarioError("sweep", "NAME=START:STOP:STEP", "name one or two parameters to sweep, e.g. leakage=0:0.9:0.1")
    first = args[0]
    if "=" in first and not Path(first).is_file():
        return DEFAULT_SCENARIO, list(args)
    if len(args) == 1:
        raise ScenarioError(first, "NAME=START:STOP:STEP", "name one or two parameters to sweep, e.g. leakage=0:0.9:0.1")
    return first, list(args[1:])


def _check_output(path: Path, force: bool) -> None:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ScenarioError(str(path), "--output", f"write a .csv or a .parquet file, not {path.suffix or 'a file without a suffix'!r}")
    if path.exists() and not force:
        raise ScenarioError(str(path), "--output", "exists; add --force to overwrite it")
    if path.exists() and path.is_dir():
        raise ScenarioError(str(path), "--output", "is a directory")
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ScenarioError(str(path), "--output", "Parquet needs pyarrow: pip install 'detente[parquet]'") from None


def _write(result_frame: object, path: Path) -> None:
    try:
        if path.suffix.lower() == ".parquet":
            result_frame.to_parquet(path, index=False)  # type: ignore[attr-defined]
        else:
            result_frame.to_csv(path, index=False)  # type: ignore[attr-defined]
    except OSError as exc:
        raise ScenarioError(str(path), "--output", f"cannot write: {exc.strerror or exc}") from None


COMPARE_USAGE = "detente compare SCENARIO [OTHER] [--set NAME=VALUE]... [--against [OTHER] [--set NAME=VALUE]...] [--json]"


def compare(
    ctx: typer.Context,
    as_json: JsonOpt = False,
) -> None:
    """Why did the deal change: SCENARIO with its --set values against the same scenario with
    the --set values after --against (default: the file's values), or against OTHER. Both deals
    side by side and, in words, which constraints moved: stage slacks that changed sign,
    reversals that started or stopped paying, types that left or joined the acceptance set of
    the opening, proposals whose verdict changed.

    Usage: detente compare SCENARIO [OTHER] [--set NAME=VALUE]... [--against [OTHER] [--set NAME=VALUE]...] [--json]
    """
    from detente.cli import render_validation

    first, first_set, other, other_set = parse_compare(list(ctx.args))
    result = api.compare(first, api.parse_overrides(first_set), other, api.parse_overrides(other_set))
    if as_json:
        _print_json(result.model_dump(mode="json"))
        return
    render_validation.compare(_console(), result)


def parse_compare(args: list[str]) -> tuple[str, list[str], str | None, list[str]]:
    """SCENARIO [OTHER] [--set N=V]... [--against [OTHER] [--set N=V]...] → (scenario, its
    --set items, the other side's scenario or None, its --set items)."""
    sides: list[tuple[list[str], list[str]]] = [([], []), ([], [])]  # (positionals, --set items)
    side = 0
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--against":
            if side == 1:
                raise ScenarioError("compare", "--against", "given twice; usage: " + COMPARE_USAGE)
            side = 1
        elif word == "--set" or word.startswith("--set="):
            if word == "--set":
                if i + 1 >= len(args):
                    raise ScenarioError("compare", "--set", "needs NAME=VALUE; usage: " + COMPARE_USAGE)
                i += 1
                sides[side][1].append(args[i])
            else:
                sides[side][1].append(word[len("--set="):])
        elif word.startswith("-"):
            raise ScenarioError("compare", word, "unknown option; usage: " + COMPARE_USAGE)
        else:
            sides[side][0].append(word)
        i += 1
    (pos0, set0), (pos1, set1) = sides
    if not pos0:
        raise ScenarioError("compare", "SCENARIO", "name the scenario to compare; usage: " + COMPARE_USAGE)
    if len(pos0) > 2 or len(pos1) > 1 or (len(pos0) == 2 and pos1):
        raise ScenarioError("compare", "SCENARIO", "at most two scenarios; usage: " + COMPARE_USAGE)
    other = pos0[1] if len(pos0) == 2 else (pos1[0] if pos1 else None)
    if other is None and not set0 and not set1:
        raise ScenarioError(pos0[0], "--set", "nothing to compare: give --set values, --against --set values, or a second scenario")
    return pos0[0], set0, other, set1


COMPARE_CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}  # its own grammar: parse_compare
