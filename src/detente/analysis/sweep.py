"""Sweeps (docs/model.md, "Tipping points, sweeps and comparisons"): the verdicts and values of
``detente run`` at every point of a one- or two-parameter grid.

Each point is an exact solve of the Nash deal (without the enforceable benchmark), the audit of
each proposal and, under protocol "offers", the offers game at the posterior: the same numbers
``detente solve`` and ``detente run`` give there. Points are cut into chunks and run on any
executor (``detente.parallel``), collected in grid order, so the table does not depend on the
workers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from detente.analysis import explain
from detente.analysis.verdicts import (
    NASH,
    OFFERS,
    PROPOSALS,
    at_values,
    evaluate,
    opening,
    proposer_main,
)
from detente.errors import DetenteError, ScenarioError
from detente.model.bargaining import disagreement
from detente.model.offers import equilibrium_path
from detente.parallel import Execution, run_in_order
from detente.results import SweepAxis, SweepDeal, SweepResult
from detente.scenario.model import Scenario

if TYPE_CHECKING:
    import pandas

MAX_AXES = 2
MAX_POINTS = 10_000
CHUNK = 8
NO_DEAL = "-"

Cell = float | bool | str
AxisSpec = str | Sequence[float]


def _fail(sc: Scenario, key: str, reason: str) -> ScenarioError:
    return ScenarioError(sc.origin, key, reason)


def parse_axis(sc: Scenario, name: str, spec: AxisSpec, key: str = "axes") -> SweepAxis:
    """``START:STOP:STEP`` (STOP included when the steps reach it), ``V1,V2,...`` or a sequence
    of numbers; every value within the parameter's domain."""
    if name not in sc.parameters:
        known = ", ".join(sc.parameters) or "none"
        raise _fail(sc, key, f"unknown parameter {name!r} (known: {known})")
    where = f"{name}={spec}" if isinstance(spec, str) else name
    if isinstance(spec, str):
        values = _values(sc, key, where, spec)
    else:
        values = [float(v) for v in spec]
        if not values:
            raise _fail(sc, key, f"{where}: no values")
    for v in values:
        if not math.isfinite(v):
            raise _fail(sc, key, f"{where}: {v} is not a finite number")
    domain = sc.domains.get(name)
    if domain is not None:
        lo, hi = domain
        for v in values:
            if not lo <= v <= hi:
                shown = ("(-inf" if lo == -math.inf else f"[{lo:g}") + ", " + ("inf)" if hi == math.inf else f"{hi:g}]")
                raise _fail(sc, key, f"{where}: {v:g} is outside the parameter's domain {shown}")
    if len(set(values)) != len(values):
        raise _fail(sc, key, f"{where}: a value appears twice")
    return SweepAxis(parameter=name, values=values)


def _values(sc: Scenario, key: str, where: str, spec: str) -> list[float]:
    def number(text: str) -> float:
        try:
            x = float(text)
        except ValueError:
            raise _fail(sc, key, f"{where}: {text.strip()!r} is not a number") from None
        if not math.isfinite(x):
            raise _fail(sc, key, f"{where}: {text.strip()!r} is not a finite number")
        return x

    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise _fail(sc, key, f"{where}: expected START:STOP:STEP, e.g. leakage=0:0.9:0.1")
        start, stop, step = (number(p) for p in parts)
        if step <= 0:
            raise _fail(sc, key, f"{where}: the step must be positive, got {step:g}")
        if stop < start:
            raise _fail(sc, key, f"{where}: STOP {stop:g} is below START {start:g}")
        n = math.floor((stop - start) / step + 1e-9)
        if n + 1 > MAX_POINTS:
            raise _fail(sc, key, f"{where}: {n + 1:,} values, more than the {MAX_POINTS:,} a sweep takes")
        return [_clean(start + i * step) for i in range(n + 1)]
    items = [s for s in spec.split(",") if s.strip()]
    if not items:
        raise _fail(sc, key, f"{where}: expected START:STOP:STEP or V1,V2,..., e.g. leakage=0:0.9:0.1")
    return [number(s) for s in items]


def _clean(x: float) -> float:
    """start + i·step without the binary noise (0.30000000000000004 → 0.3)."""
    return float(f"{x:.12g}")


def parse_axes(sc: Scenario, axes: Mapping[str, AxisSpec] | Sequence[str]) -> list[SweepAxis]:
    """One or two axes: ``{"leakage": "0:0.9:0.1"}`` or ``["leakage=0:0.9:0.1", ...]``."""
    pairs: list[tuple[str, AxisSpec]] = []
    if isinstance(axes, Mapping):
        pairs = list(axes.items())
    else:
        for item in axes:
            name, sep, spec = str(item).partition("=")
            if not sep or not name.strip():
                raise _fail(sc, "axes", f"{item!r}: expected NAME=START:STOP:STEP, e.g. leakage=0:0.9:0.1")
            pairs.append((name.strip(), spec.strip()))
    if not 1 <= len(pairs) <= MAX_AXES:
        raise _fail(sc, "axes", f"sweep one or two parameters, not {len(pairs)}")
    names = [n for n, _ in pairs]
    if len(set(names)) != len(names):
        raise _fail(sc, "axes", f"{names[0]} is swept twice")
    out = [parse_axis(sc, n, s) for n, s in pairs]
    total = math.prod(len(a.values) for a in out)
    if total > MAX_POINTS:
        raise _fail(sc, "axes", f"{total:,} points, more than the {MAX_POINTS:,} a sweep takes")
    return out


def points(axes: list[SweepAxis]) -> list[tuple[float, ...]]:
    """The grid, the first parameter varying slowest."""
    out: list[tuple[float, ...]] = [()]
    for a in axes:
        out = [p + (v,) for p in out for v in a.values]
    return out


def schedule_text(schedule: Sequence[Sequence[str]] | None) -> str:
    """Stages split by ';', moves by ',' (as ``detente audit --stages`` takes them); '' for none."""
    return ";".join(",".join(stage) for stage in schedule or [])


def columns(sc: Scenario, axes: list[SweepAxis]) -> list[str]:
    parties = [p.id for p in sc.parties]
    cols = [a.parameter for a in axes] + ["deal", "schedule"]
    cols += [f"value:{p}" for p in parties] + [f"gain:{p}" for p in parties]
    cols += [f"proposal:{p.id}" for p in sc.proposals]
    if sc.bargaining.protocol == "offers":
        cols += ["opening", "p_deal"]
    return cols


def row(sc: Scenario, names: tuple[str, ...], point: tuple[float, ...]) -> list[Cell]:
    """One point's row, in ``columns`` order."""
    offers = sc.bargaining.protocol == "offers"
    groups = {NASH, PROPOSALS} | ({OFFERS} if offers else set())
    try:
        resolved = at_values(sc, dict(zip(names, point, strict=True)), offers)
        result = evaluate(resolved, groups)
    except DetenteError as exc:
        at = ", ".join(f"{n}={v:g}" for n, v in zip(names, point, strict=True))
        raise ScenarioError(sc.origin, f"sweep at {at}", str(exc)) from None
    g = result.game
    assert g is not None
    d = disagreement(g).values
    plan = result.plan
    values = d if plan is None else plan.values
    cells: list[Cell] = list(point)
    cells += [plan is not None, "" if plan is None else schedule_text([g.ids(s) for s in plan.stages])]
    cells += [float(v) for v in values] + [float(v) for v in values - d]
    cells += [bool(result.verdicts[f"proposal:{p.id}"]) for p in resolved.proposals]
    if offers:
        built = result.offers or []
        main = built[proposer_main(built)]
        first = opening(main)
        total = sum(s.probability for s in built)
        p_deal = 0.0
        for s in built:
            weight = s.probability / total if total > 0 else 1.0 / len(built)
            for i in range(s.game.n_types):
                if equilibrium_path(s.solution, s.game.types[i]).deal is not None:
                    p_deal += weight * float(s.game.belief[i])
        cells += [schedule_text(first), p_deal]
    return cells


def chunk_rows(sc: Scenario, names: tuple[str, ...], chunk: list[tuple[float, ...]]) -> list[list[Cell]]:
    return [row(sc, names, p) for p in chunk]


def sweep(
    sc: Scenario,
    axes: Mapping[str, AxisSpec] | Sequence[str],
    execution: Execution | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Every point's row, in grid order."""
    started = time.perf_counter()
    execution = execution or Execution()
    parsed = parse_axes(sc, axes)
    grid = points(parsed)
    names = tuple(a.parameter for a in parsed)
    tasks: list[tuple[object, ...]] = [(names, grid[a : a + CHUNK]) for a in range(0, len(grid), CHUNK)]
    rows: list[list[Cell]] = []

    def take(i: int, part: list[list[Cell]]) -> None:
        rows.extend(part)
        if progress:
            progress(len(rows), len(grid))

    if not run_in_order(chunk_rows, sc, tasks, execution, take):
        raise KeyboardInterrupt
    cols = columns(sc, parsed)
    words = explain.Words(sc)
    deals: dict[str, SweepDeal] = {}
    letters = 0
    for r in rows:
        text = str(r[cols.index("schedule")])
        if text not in deals:
            schedule = [stage.split(",") for stage in text.split(";")] if text else []
            letter = NO_DEAL if not text else _letter(letters)
            letters += bool(text)
            deals[text] = SweepDeal(
                letter=letter, schedule=schedule, text=text,
                words=explain.schedule_words(words, schedule) if text else "no self-enforcing deal", points=0,
            )
        deals[text].points += 1
    return SweepResult(
        scenario=sc.id,
        protocol=sc.bargaining.protocol,
        axes=parsed,
        columns=cols,
        rows=[dict(zip(cols, r, strict=True)) for r in rows],
        deals=list(deals.values()),
        executor=execution.describe(),
        workers=execution.workers_used,
        seconds=time.perf_counter() - started,
    )


def _letter(i: int) -> str:
    """A, B, ..., Z, AA, AB, ..."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def frame(result: SweepResult) -> pandas.DataFrame:
    """The sweep's rows as a pandas DataFrame, columns in order."""
    return result.to_frame()
