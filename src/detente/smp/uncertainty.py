"""Uncertain inputs of a forecast: which capability, position or salience varies, and how.

Two ways to say it:

* a forecast TOML's ``[uncertainty]`` table, keyed ``"ACTOR.capability"``,
  ``"ACTOR.position.DIM"`` or ``"ACTOR.salience.DIM"`` (actor and dimension ids), each value a
  distribution in the syntax of bilateral scenarios (``dist = "triangular" | "uniform" |
  "beta" | "lognormal"`` with its numbers, ``note``, ``source``), on the file's scales:
  capability as written, positions and saliences on 0-100;
* ``--vary capability=F,salience=G,position=W`` for any source (a KTAB CSV has no table):
  uniform ranges around every input, relative for capability and salience, in points for
  positions (see :func:`vary`).

Supports are checked so that every draw is a valid input: capability stays above 0, positions
and saliences within [0, 100], and an actor's saliences cannot sum above 100. A file's table
whose ranges could break the last rule is refused (narrowing it silently would change the
author's distribution); ``--vary`` narrows an actor's salience spread instead (documented there).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from detente.errors import ScenarioError
from detente.scenario.model import Distribution
from detente.scenario.resolve import distribution
from detente.scenario.schema import DistSpec
from detente.smp.csv import SmpInput
from detente.smp.model import FArr
from detente.uncertainty.distributions import quantile, support

Kind = Literal["capability", "position", "salience"]
KEY = re.compile(r"^(?P<actor>[^.]+)\.(?:(?P<cap>capability)|(?P<kind>position|salience)\.(?P<dim>[^.]+))$")
VARY = re.compile(r"^(capability|salience|position)=(\S+)$")


@dataclass(frozen=True)
class Uncertain:
    """One varied input: ``dist`` on the file's scale (positions and saliences 0-100)."""

    key: str  # "us.position.sanctions"
    kind: Kind
    actor: int
    dim: int  # -1 for a capability
    dist: Distribution


def slug(name: str) -> str:
    """An id for a KTAB CSV's actor or dimension name: lower case, other runs of characters
    replaced by ``_`` ("Policy Position" -> "policy_position")."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "_"


def from_table(
    origin: str,
    table: dict[str, DistSpec],
    inp: SmpInput,
    actor_ids: Sequence[str],
    dim_ids: Sequence[str],
) -> tuple[Uncertain, ...]:
    """A file's ``[uncertainty]`` entries, checked: known actor and dimension, sensible
    numbers, supports that keep every draw valid. One-line errors naming the key."""
    out: list[Uncertain] = []
    for key, spec in table.items():
        where = f'uncertainty."{key}"'

        def fail(k: str, reason: str, where: str = where) -> ScenarioError:
            return ScenarioError(origin, f"uncertainty.{k}" if k else where, reason)

        m = KEY.match(key)
        if m is None:
            raise fail("", "expected ACTOR.capability, ACTOR.position.DIM or ACTOR.salience.DIM")
        if m["actor"] not in actor_ids:
            raise fail("", f"unknown actor {m['actor']!r} (actors: {', '.join(actor_ids)})")
        a = list(actor_ids).index(m["actor"])
        kind: Kind = "capability" if m["cap"] else m["kind"]  # type: ignore[assignment]
        k = -1
        if kind != "capability":
            if m["dim"] not in dim_ids:
                raise fail("", f"unknown dimension {m['dim']!r} (dimensions: {', '.join(dim_ids)})")
            k = list(dim_ids).index(m["dim"])
        d = distribution(f'"{key}"', spec, fail)
        lo, hi = support(d)
        if kind == "capability":
            if d.kind != "lognormal" and lo <= 0:
                raise fail("", f"a capability must stay above 0, but the range starts at {lo:g}")
        elif d.kind == "lognormal":
            raise fail("", f"a {kind} lies in [0, 100]: a lognormal is unbounded; use triangular, uniform or beta")
        elif lo < 0 or hi > 100:
            raise fail("", f"a {kind} lies in [0, 100], but the range is [{lo:g}, {hi:g}]")
        out.append(Uncertain(key, kind, a, k, d))
    _check_salience_sums(origin, out, inp, actor_ids)
    return tuple(out)


def _check_salience_sums(origin: str, items: list[Uncertain], inp: SmpInput, actor_ids: Sequence[str]) -> None:
    for a in range(inp.n_actors):
        mine = [u for u in items if u.actor == a and u.kind == "salience"]
        if not mine:
            continue
        top = 100 * inp.salience[a].copy()
        for u in mine:
            top[u.dim] = support(u.dist)[1]
        if top.sum() > 100 + 1e-9:
            raise ScenarioError(
                origin,
                f'uncertainty."{mine[0].key}"',
                f"{actor_ids[a]}'s saliences could sum to {top.sum():g} > 100 at the top of their ranges: narrow them",
            )


def parse_vary(origin: str, text: str) -> dict[str, float]:
    """``capability=F,salience=G,position=W`` -> spreads; each kind at most once."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        m = VARY.match(part)
        if m is None:
            raise ScenarioError(origin, "spreads", f"expected capability=F, salience=G or position=W, got {part!r}")
        try:
            value = float(m[2])
        except ValueError:
            raise ScenarioError(origin, "spreads", f"{m[1]}: {m[2]!r} is not a number") from None
        if m[1] in out:
            raise ScenarioError(origin, "spreads", f"{m[1]} given twice")
        top = 100.0 if m[1] == "position" else 1.0
        if not (math.isfinite(value) and 0 <= value and (value <= top if m[1] == "position" else value < top)):
            bound = "[0, 100] points" if m[1] == "position" else "[0, 1) (a share of the value)"
            raise ScenarioError(origin, "spreads", f"{m[1]}={m[2]} must lie in {bound}")
        out[m[1]] = value
    if not out:
        raise ScenarioError(origin, "spreads", "name at least one of capability, salience, position")
    return out


def vary(inp: SmpInput, spreads: dict[str, float], actor_ids: Sequence[str], dim_ids: Sequence[str]) -> tuple[Uncertain, ...]:
    """Uniform ranges around every input: capability c on [c(1-F), c(1+F)]; position x on
    [x-W, x+W] cut to [0, 100]; salience s on [s(1-G'), s(1+G')], where an actor's G' is G,
    narrowed to (100 - S)/S when its saliences' sum S would otherwise exceed 100 at the top.
    Inputs whose range has no width (a 0 capability or salience, a spread of 0) stay fixed."""
    out: list[Uncertain] = []

    def add(kind: Kind, a: int, k: int, low: float, high: float) -> None:
        if high > low:
            key = f"{actor_ids[a]}.{kind}" + ("" if k < 0 else f".{dim_ids[k]}")
            out.append(Uncertain(key, kind, a, k, Distribution(key, "uniform", {"low": low, "high": high})))

    for a in range(inp.n_actors):
        f = spreads.get("capability", 0.0)
        c = float(inp.capability[a])
        add("capability", a, -1, c * (1 - f), c * (1 + f))
        total = 100 * float(inp.salience[a].sum())
        g = min(spreads.get("salience", 0.0), (100 - total) / total) if total > 0 else 0.0
        for k in range(inp.n_dimensions):
            w = spreads.get("position", 0.0)
            x = 100 * float(inp.position[a, k])
            add("position", a, k, max(0.0, x - w), min(100.0, x + w))
            s = 100 * float(inp.salience[a, k])
            add("salience", a, k, s * (1 - g), min(100.0, s * (1 + g)))
    order = {"capability": 0, "position": 1, "salience": 2}
    return tuple(sorted(out, key=lambda u: (order[u.kind], u.actor, u.dim)))


def values_at(uncertain: Sequence[Uncertain], units: FArr) -> FArr:
    """Each input's value at points of the unit cube (rows), through its quantile function."""
    out = np.empty_like(units, dtype=np.float64)
    for j, u in enumerate(uncertain):
        out[:, j] = quantile(u.dist, units[:, j])
    return out


def apply(inp: SmpInput, uncertain: Sequence[Uncertain], values: FArr) -> tuple[FArr, FArr, FArr]:
    """The input's (capability, position, salience) on the model's scale with the uncertain
    ones replaced by ``values`` (one per item, on the file's scale)."""
    cap = inp.capability.copy()
    pos = inp.position.copy()
    sal = inp.salience.copy()
    for u, v in zip(uncertain, values, strict=True):
        if u.kind == "capability":
            cap[u.actor] = v
        elif u.kind == "position":
            pos[u.actor, u.dim] = v / 100.0
        else:
            sal[u.actor, u.dim] = v / 100.0
    return cap, pos, sal


__all__ = ["Uncertain", "apply", "from_table", "parse_vary", "slug", "values_at", "vary"]
