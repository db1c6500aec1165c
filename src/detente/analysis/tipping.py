"""Tipping points (docs/model.md, "Tipping points, sweeps and comparisons"): for every verdict
``detente run`` prints, the smallest change of each parameter within its domain that flips it.

For each parameter and direction the verdicts are computed on a grid from the current value
outward (``steps`` steps across the parameter's search range), because a verdict need not be
monotone in a parameter; the first grid point where a verdict differs and the last one where
it did not bracket a flip, which bisection narrows to ``precision`` × the range's width. Every
point is an exact solve (``detente.analysis.verdicts``), so a flip is where the exact verdict
changes, up to the stated precision; what the grid can miss is a flip and its flip back within
one grid step.

One task per (parameter, direction, group of verdicts) runs on any executor
(``detente.parallel``); tasks are pure, so the answer does not depend on the workers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from detente.analysis.verdicts import (
    NASH,
    OFFERS,
    PROPOSALS,
    Describe,
    Value,
    at_values,
    evaluate,
    offers_fixed,
)
from detente.defaults import TIPPING_PRECISION, TIPPING_STEPS
from detente.errors import DetenteError, ScenarioError
from detente.parallel import Execution, run_in_order
from detente.results import ParameterRange, TippingPoint, TippingResult, VerdictState
from detente.scenario.model import Scenario

DEFAULT_STEPS = TIPPING_STEPS
DEFAULT_PRECISION = TIPPING_PRECISION
CLOSEST = 3
MAX_STEPS = 1000


@dataclass(frozen=True)
class Invalid:
    """No verdict: the scenario is not valid at that point (an expression leaves its range)."""

    reason: str


def group_of(key: str) -> str:
    if key in ("deal", "first-stage"):
        return NASH
    if key.startswith("proposal:"):
        return PROPOSALS
    return OFFERS


def search_range(sc: Scenario, name: str) -> ParameterRange:
    """The parameter's domain; an open end is replaced by value ± |value| (so [0, 2·value] for a
    positive value without a domain)."""
    v = float(sc.parameters[name])
    lo, hi = sc.domains.get(name, (-math.inf, math.inf))
    opened = []
    if lo == -math.inf:
        lo = v - abs(v)
        opened.append("below")
    if hi == math.inf:
        hi = v + abs(v)
        opened.append("above")
    if name not in sc.domains:
        basis = f"no domain: searched over [{lo:g}, {hi:g}] (0 to twice the value)"
    elif opened:
        basis = f"domain {_domain(sc.domains[name])}: searched over [{lo:g}, {hi:g}] (twice the value {'and '.join(opened)})"
    else:
        basis = f"domain [{lo:g}, {hi:g}]"
    if v == 0 and opened:
        basis += "; a value of 0 leaves nothing to search where the domain is open"
    return ParameterRange(parameter=name, value=v, low=lo, high=hi, basis=basis)


def _domain(domain: tuple[float, float]) -> str:
    lo, hi = domain
    return ("(-inf" if lo == -math.inf else f"[{lo:g}") + ", " + ("inf)" if hi == math.inf else f"{hi:g}]")


def grid(value: float, low: float, high: float, steps: int, direction: int) -> list[float]:
    """From ``value`` outward in ``direction`` (+1 up, −1 down), one step = (high − low)/steps,
    the range's end last."""
    end = high if direction > 0 else low
    if end == value or high <= low:
        return []
    h = (high - low) / steps
    out = []
    k = 1
    while True:
        x = value + direction * k * h
        if (x - end) * direction >= -1e-12 * (high - low):
            break
        out.append(x)
        k += 1
    out.append(end)
    return out


@dataclass(frozen=True)
class _Shared:
    scenario: Scenario
    base: dict[str, Value]
    steps: int
    precision: float


@dataclass(frozen=True)
class _Found:
    """One key's outcome in one direction: the flip (None: none in the range) and the value there."""

    key: str
    flip: float | None
    after: Value


def search(
    shared: _Shared, name: str, direction: int, groups: tuple[str, ...], low: float, high: float
) -> tuple[list[_Found], int]:
    """The flips of every verdict of ``groups`` along one parameter in one direction, and the
    number of points evaluated."""
    sc = shared.scenario
    keys = [k for k in shared.base if group_of(k) in groups]
    cache: dict[tuple[float, str], dict[str, Value] | Invalid] = {}
    count = 0

    def at(x: float, needed: set[str]) -> dict[str, Value]:
        nonlocal count
        missing = {g for g in needed if (x, g) not in cache}
        if missing:
            count += 1
            try:
                point = evaluate(at_values(sc, {name: x}, OFFERS in missing), missing)
                for g in missing:
                    cache[(x, g)] = {k: v for k, v in point.verdicts.items() if group_of(k) == g}
            except DetenteError as exc:
                for g in missing:
                    cache[(x, g)] = Invalid(str(exc))
        out: dict[str, Value] = {}
        for g in needed:
            got = cache[(x, g)]
            if isinstance(got, Invalid):
                out.update({k: got for k in keys if group_of(k) == g})
            else:
                out.update(got)
        return out

    value = float(sc.parameters[name])
    pending = list(keys)
    bracket: dict[str, tuple[float, float]] = {}
    previous = value
    for x in grid(value, low, high, shared.steps, direction):
        if not pending:
            break
        verdicts = at(x, {group_of(k) for k in pending})
        for k in list(pending):
            if verdicts.get(k) != shared.base[k]:
                bracket[k] = (previous, x)
                pending.remove(k)
        previous = x
    tol = shared.precision * (high - low)
    found = []
    for k in keys:
        if k not in bracket:
            found.append(_Found(k, None, None))
            continue
        same, diff = bracket[k]
        while abs(diff - same) > tol:
            mid = (same + diff) / 2
            if at(mid, {group_of(k)}).get(k) == shared.base[k]:
                same = mid
            else:
                diff = mid
        found.append(_Found(k, diff, at(diff, {group_of(k)})[k]))
    return found, count


def tipping(
    sc: Scenario,
    parameters: Sequence[str] | None = None,
    offers: bool = True,
    steps: int = DEFAULT_STEPS,
    precision: float = DEFAULT_PRECISION,
    execution: Execution | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TippingResult:
    """Every verdict's nearest flip along every parameter (or those named), both directions."""
    started = time.perf_counter()
    execution = execution or Execution()
    if not 1 <= steps <= MAX_STEPS:
        raise ScenarioError(sc.origin, "steps", f"must lie in [1, {MAX_STEPS}], got {steps}")
    if not 0.0 < precision <= 0.1:
        raise ScenarioError(sc.origin, "precision", f"must lie in (0, 0.1] (a share of each range), got {precision:g}")
    names = list(sc.parameters) if parameters is None else list(dict.fromkeys(parameters))
    for n in names:
        if n not in sc.parameters:
            known = ", ".join(sc.parameters) or "none"
            raise ScenarioError(sc.origin, "parameters", f"unknown parameter {n!r} (known: {known})")
    with_offers = offers and sc.bargaining.protocol == "offers"
    groups = (NASH, PROPOSALS, OFFERS) if with_offers else (NASH, PROPOSALS)
    base = evaluate(at_values(sc, {}, with_offers), set(groups)).verdicts
    fixed = offers_fixed(sc) if with_offers else set()
    ranges = []
    for n in names:
        r = search_range(sc, n)
        r.offers_fixed = n in fixed
        ranges.append(r)
    tasks: list[tuple[object, ...]] = []
    for r in ranges:  # the offers tasks first: they are the long ones
        if with_offers and not r.offers_fixed:
            for d in (-1, 1):
                tasks.append((r.parameter, d, (OFFERS,), r.low, r.high))
    for r in ranges:
        for d in (-1, 1):
            tasks.append((r.parameter, d, (NASH, PROPOSALS), r.low, r.high))
    shared = _Shared(sc, base, steps, precision)
    found: dict[tuple[str, str, int], _Found] = {}
    evaluations = 1

    def take(i: int, result: tuple[list[_Found], int]) -> None:
        nonlocal evaluations
        name, d = tasks[i][0], tasks[i][1]
        assert isinstance(name, str) and isinstance(d, int)
        for f in result[0]:
            found[(f.key, name, d)] = f
        evaluations += result[1]
        if progress:
            progress(i + 1, len(tasks))

    if not run_in_order(search, shared, tasks, execution, take):
        raise KeyboardInterrupt
    words = Describe(sc)
    by_name = {r.parameter: r for r in ranges}
    points = []
    for key in base:
        for n in names:
            for d in (-1, 1):
                f = found.get((key, n, d))
                points.append(_point(words, key, base[key], by_name[n], d, f, precision))
    order = {id(p): i for i, p in enumerate(points)}
    nearest = sorted((p for p in points if p.flip is not None), key=lambda p: (p.share or 0.0, order[id(p)]))
    flips: list[tuple[str, str, float | None]] = []
    closest = []
    for p in nearest:  # the CLOSEST nearest distinct flips, with every verdict that flips there
        where = (p.parameter, p.direction, p.flip)
        if where not in flips:
            if len(flips) == CLOSEST:
                continue
            flips.append(where)
        closest.append(p)
    notes = []
    if sc.bargaining.protocol == "offers" and not with_offers:
        notes.append("The offers verdicts (the opening and each path's deal) were not searched: `detente tipping` searches them.")
    if fixed and with_offers:
        notes.append(
            "The offers verdicts cannot depend on " + ", ".join(sorted(fixed & set(names)))
            + ": every world of the offers game sets them through the types."
        )
    return TippingResult(
        scenario=sc.id,
        protocol=sc.bargaining.protocol,
        parameters=ranges,
        verdicts=[VerdictState(verdict=k, question=words.question(k), now=_words(words, k, v)) for k, v in base.items()],
        points=points,
        closest=closest,
        steps=steps,
        precision=precision,
        offers=with_offers,
        evaluations=evaluations,
        notes=[n for n in notes if n],
        executor=execution.describe(),
        workers=execution.workers_used,
        seconds=time.perf_counter() - started,
    )


def _words(words: Describe, key: str, value: Value) -> str:
    if isinstance(value, Invalid):
        return f"no verdict: the scenario is not valid there ({value.reason})"
    return words.value(key, value)


def _point(
    words: Describe, key: str, now: Value, r: ParameterRange, d: int, f: _Found | None, precision: float
) -> TippingPoint:
    direction = "up" if d > 0 else "down"
    width = r.high - r.low
    v = r.value
    if f is None or f.flip is None:
        end = r.high if d > 0 else r.low
        if f is None and r.offers_fixed:
            why = "the types set it in every world of the offers game"
        elif end == v:
            why = f"{v:g} is the end of its search range"
        else:
            why = f"searched {direction} to {end:g}"
        return TippingPoint(
            verdict=key, parameter=r.parameter, direction=direction, value=v, flip=None, change=None,
            relative=None, share=None, after=None,
            sentence=f"No flip {direction} within the range: {words.value(key, now)} ({why}).",
        )
    change = f.flip - v
    relative = change / abs(v) if v != 0 else None
    share = abs(change) / width if width > 0 else None
    rel = "" if relative is None else f", {relative:+.1%}"
    digits = decimals(r, precision)
    after = _words(words, key, f.after)
    return TippingPoint(
        verdict=key, parameter=r.parameter, direction=direction, value=v, flip=f.flip, change=change,
        relative=relative, share=share, after=after,
        sentence=(
            f"{r.parameter} from {v:g} to {f.flip:.{digits}f} ({change:+.{digits}f}{rel}): "
            f"{after} (now: {words.value(key, now)})."
        ),
    )


def decimals(r: ParameterRange, precision: float = DEFAULT_PRECISION) -> int:
    """Decimals that show a flip to the bisection's precision."""
    return r.decimals(precision)


__all__ = ["DEFAULT_PRECISION", "DEFAULT_STEPS", "grid", "search_range", "tipping"]
