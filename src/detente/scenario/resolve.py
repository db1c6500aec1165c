"""Turn a checked-for-shape :class:`ScenarioSpec` into a :class:`Scenario` (docs/model.md, "Scenario files").

Evaluates expressions, applies parameter overrides, and rejects unknown ids, duplicate ids,
cycles in ``requires``, probabilities outside [0, 1] and discounts outside (0, 1), each with
the key path and the reason.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from detente.errors import ExpressionError, Problem, ScenarioError, did_you_mean
from detente.scenario import expressions
from detente.scenario.model import (
    Bargaining,
    Cluster,
    Distribution,
    Event,
    Move,
    Outcome,
    Party,
    PartyType,
    Proposal,
    Scenario,
    Signal,
    Uncertainty,
)
from detente.scenario.references import unknown
from detente.scenario.schema import (
    MOVE_NUMBER_FIELDS,
    PARTY_NUMBER_FIELDS,
    DistSpec,
    MoveSpec,
    Num,
    PartySpec,
    ProposalSpec,
    ScenarioSpec,
    SignalSpec,
)


def resolve(
    spec: ScenarioSpec,
    origin: str,
    overrides: Mapping[str, float] | None = None,
    content_hash: str = "",
    game_only: bool = False,
) -> Scenario:
    """Resolve ``spec``; ``overrides`` replace parameter values (``overrides.NAME``).

    Every problem found is reported at once, in one :class:`ScenarioError`: each party, move,
    proposal and section is checked whatever the others hold (a section that depends on
    another, such as events on types, only once that one is valid).

    ``game_only`` skips what no game is compiled from (types, events, signals, uncertainty):
    for the thousands of re-resolutions of a simulation, of a scenario already resolved whole."""
    found = _Found(origin)
    params = {name: p.value for name, p in spec.parameters.items()}
    domains = found.run(_domains, origin, spec) or {}
    for name, value in (overrides or {}).items():
        if name not in params:
            known = ", ".join(sorted(params)) or "none"
            found.add(f"overrides.{name}", f"unknown parameter{did_you_mean(name, params)} (known: {known})")
            continue
        try:
            check_domain(origin, f"overrides.{name}", float(value), domains.get(name))
        except ScenarioError as exc:
            found.note(exc)
            continue
        params[name] = float(value)

    ev = _Evaluator(origin, params)
    party_ids = {p.id for p in spec.parties}
    move_ids = {m.id for m in spec.moves}
    for key, ids in (("parties", [p.id for p in spec.parties]), ("moves", [m.id for m in spec.moves])):
        found.run(_unique, origin, key, ids)
    found.run(_unique, origin, "proposals", [p.id for p in spec.proposals])

    for name, p in spec.parameters.items():
        if not math.isfinite(p.value):
            found.add(f"parameters.{name}.value", "must be a finite number")
        if p.owner is not None and p.owner not in party_ids:
            found.add(f"parameters.{name}.owner", unknown("party", p.owner, party_ids))

    parties = found.each(lambda p: _party(ev, p), spec.parties)
    powers = [p.bargaining_power for p in parties]
    if len(parties) == len(spec.parties) and any(b is not None for b in powers) and any(b is None for b in powers):
        missing = next(p.id for p in parties if p.bargaining_power is None)
        found.add(f"parties[{missing}].bargaining_power", "set bargaining_power for every party or for none")

    moves = found.each(lambda m: _move(ev, m, party_ids, move_ids), spec.moves)
    if len(moves) == len(spec.moves):
        found.run(_check_cycles, origin, moves)

    initial = spec.scenario.initial
    found.run(_unique, origin, "scenario.initial", initial)
    for mid in initial:
        if mid not in move_ids:
            found.add("scenario.initial", unknown("move", mid, move_ids))
    for m in moves:
        if m.id in initial:
            for r in m.requires:
                if r not in initial:
                    found.add(f"moves[{m.id}].requires", f"initial move {m.id!r} requires {r!r}, which is not in scenario.initial")

    proposals = found.each(lambda p: _proposal(origin, p, party_ids, move_ids, set(initial)), spec.proposals)
    types: tuple[PartyType, ...] = ()
    events: tuple[Event, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    signals: tuple[Signal, ...] = ()
    uncertainty: Uncertainty | None = None
    bargaining = found.run(_bargaining, origin, spec, [p.id for p in spec.parties]) or Bargaining()
    outcomes = found.run(_outcomes, origin, spec, party_ids, move_ids, set(initial)) or ()
    if not game_only:
        resolved_types = found.run(_types, origin, spec, party_ids, params, domains)
        if resolved_types is not None:
            types = resolved_types
            clusters = found.run(_clusters, origin, spec, types) or ()
            if len(clusters) == len(spec.clusters):
                events = found.run(_events, origin, spec, types, clusters) or ()
            signals = found.each(lambda sig: _signal(ev, sig, types), spec.signals)
        found.run(_unique, origin, "signals", [sig.id for sig in spec.signals])
        uncertainty = found.run(_uncertainty, origin, spec, params, frozenset(overrides or {}), domains)
    found.check()
    return Scenario(
        id=spec.scenario.id,
        title=spec.scenario.title,
        parties=parties,
        moves=moves,
        initial=tuple(initial),
        proposals=proposals,
        types=types,
        events=events,
        clusters=clusters,
        signals=signals,
        uncertainty=uncertainty,
        parameters=params,
        domains=domains,
        solver=spec.solver,
        bargaining=bargaining,
        outcomes=outcomes,
        period=spec.scenario.period,
        sources=tuple(spec.scenario.sources),
        origin=origin,
        content_hash=content_hash,
        spec=spec,
    )


def expression_parts(spec: ScenarioSpec) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The parties and the moves (indices in ``spec``) with a number given as an expression:
    the only parts of a game that other parameter values change."""

    def has_expression(item: PartySpec | MoveSpec, fields: tuple[str, ...]) -> bool:
        for name in fields:
            value = getattr(item, name)
            values = value.values() if isinstance(value, dict) else (value,)
            if any(isinstance(v, str) for v in values):
                return True
        return False

    return (
        tuple(i for i, p in enumerate(spec.parties) if has_expression(p, PARTY_NUMBER_FIELDS)),
        tuple(i for i, m in enumerate(spec.moves) if has_expression(m, MOVE_NUMBER_FIELDS)),
    )


def expression_names(spec: ScenarioSpec, parties: Sequence[int], moves: Sequence[int]) -> tuple[tuple[str, ...], ...]:
    """The parameters each of those parties, then each of those moves, reads in its
    expressions (sorted): the only numbers its resolution depends on."""

    def read(item: PartySpec | MoveSpec, fields: tuple[str, ...]) -> tuple[str, ...]:
        out: set[str] = set()
        for name in fields:
            value = getattr(item, name)
            for v in value.values() if isinstance(value, dict) else (value,):
                if isinstance(v, str):
                    out |= expressions.names(v)
        return tuple(sorted(out))

    return tuple(read(spec.parties[i], PARTY_NUMBER_FIELDS) for i in parties) + tuple(
        read(spec.moves[i], MOVE_NUMBER_FIELDS) for i in moves
    )


def resolve_parts(
    spec: ScenarioSpec,
    origin: str,
    overrides: Mapping[str, float],
    parties: Sequence[int],
    moves: Sequence[int],
    domains: Mapping[str, tuple[float, float]],
) -> tuple[tuple[Party, ...], tuple[Move, ...]] | None:
    """Those parties and moves of ``spec`` (indices) resolved with ``overrides``, by the code and
    checks of :func:`resolve`; None if any check fails (or an override is unknown or outside its
    domain in ``domains``, the resolved scenario's): :func:`resolve` then reports every problem,
    as it always does. For a scenario that resolves whole, the other parts are the same for any
    overrides (:func:`expression_parts`)."""
    params = {name: p.value for name, p in spec.parameters.items()}
    for name, value in overrides.items():
        if name not in params:
            return None
        number = float(value)
        domain = domains.get(name)
        if domain is not None and not domain[0] <= number <= domain[1]:
            return None
        params[name] = number
    ev = _Evaluator(origin, params)
    party_ids = {p.id for p in spec.parties}
    move_ids = {m.id for m in spec.moves}
    try:
        return (
            tuple(_party(ev, spec.parties[i]) for i in parties),
            tuple(_move(ev, spec.moves[i], party_ids, move_ids) for i in moves),
        )
    except ScenarioError:
        return None


T = TypeVar("T")
S = TypeVar("S")


class _Found:
    """The problems of one scenario, gathered as its parts are resolved."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[Problem] = []

    def add(self, key: str, reason: str) -> None:
        if (key, reason) not in self.problems:
            self.problems.append((key, reason))

    def note(self, exc: ScenarioError) -> None:
        for key, reason in exc.problems:
            self.add(key, reason)

    def run(self, fn: Callable[..., T], *args: Any) -> T | None:
        """``fn(*args)``, or None once its problems are noted."""
        try:
            return fn(*args)
        except ScenarioError as exc:
            self.note(exc)
            return None

    def each(self, fn: Callable[[S], T], items: Sequence[S]) -> tuple[T, ...]:
        """``fn`` of every item: the ones that resolve (the others' problems noted)."""
        out = []
        for item in items:
            try:
                out.append(fn(item))
            except ScenarioError as exc:
                self.note(exc)
        return tuple(out)

    def check(self) -> None:
        if self.problems:
            raise ScenarioError.of(self.origin, self.problems)


def _domains(origin: str, spec: ScenarioSpec) -> dict[str, tuple[float, float]]:
    """Each parameter's [min, max] (open ends as ±inf), checked: finite, min ≤ max, the value
    inside."""
    out: dict[str, tuple[float, float]] = {}
    for name, p in spec.parameters.items():
        if p.min is None and p.max is None:
            continue
        lo = -math.inf if p.min is None else float(p.min)
        hi = math.inf if p.max is None else float(p.max)
        for key, v in (("min", p.min), ("max", p.max)):
            if v is not None and not math.isfinite(v):
                raise ScenarioError(origin, f"parameters.{name}.{key}", "must be a finite number")
        if lo > hi:
            raise ScenarioError(origin, f"parameters.{name}", f"min {lo:g} is above max {hi:g}")
        check_domain(origin, f"parameters.{name}.value", p.value, (lo, hi))
        out[name] = (lo, hi)
    return out


def check_domain(origin: str, key: str, value: float, domain: tuple[float, float] | None) -> None:
    """Refuse a value outside a parameter's domain, naming the domain."""
    if domain is None:
        return
    lo, hi = domain
    if not lo <= value <= hi:
        raise ScenarioError(origin, key, f"{value:g} is outside the parameter's domain {_domain_text(domain)}")


def _domain_text(domain: tuple[float, float]) -> str:
    lo, hi = domain
    left = "(-inf" if lo == -math.inf else f"[{lo:g}"
    right = "inf)" if hi == math.inf else f"{hi:g}]"
    return f"{left}, {right}"


def support(d: Distribution) -> tuple[float, float]:
    """The closed hull of a distribution's support."""
    if d.kind == "lognormal":
        return 0.0, math.inf
    return d.params["low"], d.params["high"]


def distribution(name: str, d: DistSpec, fail: Callable[[str, str], ScenarioError]) -> Distribution:
    """A distribution of an [uncertainty] table, its numbers checked (finite, low < high, the
    mode inside, positive shapes and median, sigma ≥ 0); ``fail(key, reason)`` makes the error,
    the key relative to the table. Shared by bilateral and forecast scenarios."""
    numbers = {k: float(v) for k, v in d.model_dump().items() if k not in ("dist", "note", "source")}
    for k, v in numbers.items():
        if not math.isfinite(v):
            raise fail(f"{name}.{k}", "must be a finite number")
    if d.dist in ("triangular", "uniform", "beta") and not numbers["low"] < numbers["high"]:
        raise fail(name, f"low must be below high, got low {numbers['low']:g}, high {numbers['high']:g}")
    if d.dist == "triangular" and not numbers["low"] <= numbers["mode"] <= numbers["high"]:
        raise fail(f"{name}.mode", f"must lie in [low, high], got {numbers['mode']:g}")
    if d.dist == "beta":
        for k in ("alpha", "beta"):
            if numbers[k] <= 0:
                raise fail(f"{name}.{k}", f"must be > 0, got {numbers[k]:g}")
    if d.dist == "lognormal":
        if numbers["median"] <= 0:
            raise fail(f"{name}.median", f"must be > 0, got {numbers['median']:g}")
        if numbers["sigma"] < 0:
            raise fail(f"{name}.sigma", f"must be ≥ 0, got {numbers['sigma']:g}")
    return Distribution(name, d.dist, numbers)


def _uncertainty(
    origin: str,
    spec: ScenarioSpec,
    params: Mapping[str, float],
    pinned: frozenset[str] = frozenset(),
    domains: Mapping[str, tuple[float, float]] | None = None,
) -> Uncertainty | None:
    """Section 11: known parameters, distributions whose numbers make sense, σ0 ≥ 0, 0 < ρ ≤ 1.
    A parameter set with ``--set`` is pinned at that value: its distribution is checked, then
    dropped (docs/model.md, "Summit versus working level")."""
    u = spec.uncertainty
    if u is None:
        return None

    def fail(key: str, reason: str) -> ScenarioError:
        return ScenarioError(origin, f"uncertainty.{key}", reason)

    for key in ("misperception", "working_level_gain", "summit_gain", "shock_hazard"):
        if not math.isfinite(getattr(u, key)):
            raise fail(key, "must be a finite number")
    if u.misperception < 0:
        raise fail("misperception", f"must be ≥ 0, got {u.misperception:g}")
    if not 0 < u.working_level_gain <= 1:
        raise fail("working_level_gain", f"must lie in (0, 1], got {u.working_level_gain:g}")
    if not 0 < u.summit_gain <= 1:
        raise fail("summit_gain", f"must lie in (0, 1], got {u.summit_gain:g}")
    if not 0 <= u.shock_hazard < 1:
        raise fail("shock_hazard", f"must lie in [0, 1), got {u.shock_hazard:g}")
    party_ids = [p.id for p in spec.parties]
    refusal = _by_party(u.working_level_refusal, party_ids, 0.0, lambda x: 0 <= x <= 1, "[0, 1]",
                        lambda k, r: fail(f"working_level_refusal.{k}" if k else "working_level_refusal", r))
    cost = _by_party(u.working_level_cost, party_ids, 0.0, lambda x: x >= 0, "≥ 0",
                     lambda k, r: fail(f"working_level_cost.{k}" if k else "working_level_cost", r))
    dists = []
    for name, d in (u.model_extra or {}).items():
        if name not in params:
            known = ", ".join(sorted(params)) or "none"
            raise fail(name, f"unknown parameter{did_you_mean(name, params)} (known: {known})")
        dist = distribution(name, d, fail)
        domain = (domains or {}).get(name)
        if domain is not None:
            lo, hi = support(dist)
            if lo < domain[0] or hi > domain[1]:
                raise fail(
                    name,
                    f"the distribution reaches [{lo:g}, {hi:g}], outside the parameter's domain "
                    f"{_domain_text(domain)}",
                )
        if name not in pinned:
            dists.append(dist)
    return Uncertainty(
        distributions=tuple(dists),
        misperception=u.misperception,
        working_level_gain=u.working_level_gain,
        summit_cooldown=u.summit_cooldown,
        horizon=u.horizon,
        summit_gain=u.summit_gain,
        working_level_refusal=refusal if any(refusal) else (),
        working_level_cost=cost if any(cost) else (),
        shock_hazard=u.shock_hazard,
    )


def _by_party(
    value: float | Mapping[str, float],
    party_ids: list[str],
    default: float,
    ok: Callable[[float], bool],
    allowed: str,
    fail: Callable[[str, str], ScenarioError],
) -> tuple[float, ...]:
    """A number for every party, or a table by party id: one number per party, checked."""
    table = {p: float(value) for p in party_ids} if isinstance(value, int | float) else dict(value)
    for key, x in table.items():
        where = "" if isinstance(value, int | float) else key
        if key not in party_ids:
            raise fail(where, f"unknown party (known: {', '.join(party_ids)})")
        if not math.isfinite(x) or not ok(x):
            raise fail(where, f"must be {allowed}, got {x:g}")
    return tuple(table.get(p, default) for p in party_ids)


class _Evaluator:
    def __init__(self, origin: str, params: Mapping[str, float]) -> None:
        self.origin = origin
        self.params = params

    def __call__(self, key: str, value: Num) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        else:
            try:
                number = expressions.evaluate(str(value), self.params)
            except ExpressionError as exc:
                raise ScenarioError(self.origin, key, str(exc)) from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ScenarioError(self.origin, key, "not a finite number")
        return number

    def fail(self, key: str, reason: str) -> ScenarioError:
        return ScenarioError(self.origin, key, reason)


def _unique(origin: str, key: str, ids: list[str]) -> set[str]:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            raise ScenarioError(origin, key, f"duplicate id {i!r}")
        seen.add(i)
    return seen


def _check_notes(ev: _Evaluator, key: str, notes: Mapping[str, str], allowed: tuple[str, ...]) -> None:
    for name in notes:
        if name not in allowed:
            raise ev.fail(f"{key}.notes.{name}", f"not a number field (one of {', '.join(allowed)})")


def _party(ev: _Evaluator, p: PartySpec) -> Party:
    key = f"parties[{p.id}]"
    _check_notes(ev, key, p.notes, PARTY_NUMBER_FIELDS)
    discount = ev(f"{key}.discount", p.discount)
    if not 0.0 < discount < 1.0:
        raise ev.fail(f"{key}.discount", f"must be strictly between 0 and 1, got {discount:g}")
    unrec = _non_negative(ev, f"{key}.unreciprocated_cost", p.unreciprocated_cost)
    penalty = _non_negative(ev, f"{key}.defection_penalty", p.defection_penalty)
    power = None
    if p.bargaining_power is not None:
        power = ev(f"{key}.bargaining_power", p.bargaining_power)
        if power <= 0:
            raise ev.fail(f"{key}.bargaining_power", f"must be positive, got {power:g}")
    return Party(p.id, p.name, discount, unrec, penalty, power)


def _non_negative(ev: _Evaluator, key: str, value: Num) -> float:
    number = ev(key, value)
    if number < 0:
        raise ev.fail(key, f"must not be negative, got {number:g}")
    return number


def _probability(ev: _Evaluator, key: str, value: Num) -> float:
    number = ev(key, value)
    if not 0.0 <= number <= 1.0:
        raise ev.fail(key, f"is a probability and must lie in [0, 1], got {number:g}")
    return number


def _move(ev: _Evaluator, m: MoveSpec, party_ids: set[str], move_ids: set[str]) -> Move:
    key = f"moves[{m.id}]"
    _check_notes(ev, key, m.notes, MOVE_NUMBER_FIELDS)
    if m.owner not in party_ids:
        raise ev.fail(f"{key}.owner", unknown("party", m.owner, party_ids))
    value: dict[str, float] = {}
    for pid, v in m.value.items():
        if pid not in party_ids:
            raise ev.fail(f"{key}.value.{pid}", unknown("party", pid, party_ids))
        value[pid] = ev(f"{key}.value.{pid}", v)
    with_: dict[str, float] = {}
    for mid, v in m.verifiability_with.items():
        if mid not in move_ids:
            raise ev.fail(f"{key}.verifiability_with.{mid}", unknown("move", mid, move_ids))
        if mid == m.id:
            raise ev.fail(f"{key}.verifiability_with.{mid}", "a move cannot verify itself")
        with_[mid] = _probability(ev, f"{key}.verifiability_with.{mid}", v)
    seen: set[str] = set()
    for r in m.requires:
        if r not in move_ids:
            raise ev.fail(f"{key}.requires", unknown("move", r, move_ids))
        if r == m.id:
            raise ev.fail(f"{key}.requires", "a move cannot require itself")
        if r in seen:
            raise ev.fail(f"{key}.requires", f"duplicate id {r!r}")
        seen.add(r)
    return Move(
        id=m.id,
        owner=m.owner,
        label=m.label,
        cost=ev(f"{key}.cost", m.cost),
        value=value,
        upfront_cost=_non_negative(ev, f"{key}.upfront_cost", m.upfront_cost),
        reversible=m.reversible,
        reversal_cost=_non_negative(ev, f"{key}.reversal_cost", m.reversal_cost),
        reversal_lag=_lag(ev, key, m),
        verifiability=_probability(ev, f"{key}.verifiability", m.verifiability),
        verifiability_with=with_,
        requires=tuple(m.requires),
        note=m.note,
    )


MAX_REVERSAL_LAG = 10_000  # periods; beyond any horizon a scenario could mean


def _lag(ev: _Evaluator, key: str, m: MoveSpec) -> int:
    """reversal_lag: a whole number of periods ≥ 0, and only on a reversible move."""
    number = ev(f"{key}.reversal_lag", m.reversal_lag)
    if number < 0 or number != int(number):
        raise ev.fail(f"{key}.reversal_lag", f"must be a whole number of periods ≥ 0, got {number:g}")
    if number > MAX_REVERSAL_LAG:
        raise ev.fail(f"{key}.reversal_lag", f"must be at most {MAX_REVERSAL_LAG} periods, got {number:g}")
    if number > 0 and not m.reversible:
        raise ev.fail(
            f"{key}.reversal_lag", "is set on a move that is not reversible (set reversible = true, or drop the lag)"
        )
    return int(number)


def _check_cycles(origin: str, moves: tuple[Move, ...]) -> None:
    graph = {m.id: m.requires for m in moves}
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
                raise ScenarioError(
                    origin, f"moves[{node}].requires", "cycle: " + " -> ".join(cycle)
                )
            if state.get(nxt) is None:
                visit(nxt, path + [nxt])
        state[node] = 2

    for m in moves:
        if state.get(m.id) is None:
            visit(m.id, [m.id])


def _proposal(
    origin: str, p: ProposalSpec, party_ids: set[str], move_ids: set[str], initial: set[str]
) -> Proposal:
    key = f"proposals[{p.id}]"
    if p.by is not None and p.by not in party_ids:
        raise ScenarioError(origin, f"{key}.by", unknown("party", p.by, party_ids))
    if not p.stages:
        raise ScenarioError(origin, f"{key}.stages", "a proposal needs at least one stage")
    seen: set[str] = set()
    for k, stage in enumerate(p.stages, start=1):
        if not stage:
            raise ScenarioError(origin, f"{key}.stages[{k}]", "a stage cannot be empty")
        for mid in stage:
            if mid not in move_ids:
                raise ScenarioError(origin, f"{key}.stages[{k}]", unknown("move", mid, move_ids))
            if mid in initial:
                raise ScenarioError(
                    origin, f"{key}.stages[{k}]", f"move {mid!r} is already in effect (initial)"
                )
            if mid in seen:
                raise ScenarioError(
                    origin, f"{key}.stages[{k}]", f"move {mid!r} appears twice in the proposal"
                )
            seen.add(mid)
    return Proposal(
        id=p.id,
        stages=tuple(tuple(s) for s in p.stages),
        label=p.label,
        by=p.by,
        note=p.note,
    )


PRIOR_TOLERANCE = 1e-6


def _types(
    origin: str,
    spec: ScenarioSpec,
    party_ids: set[str],
    params: Mapping[str, float],
    domains: Mapping[str, tuple[float, float]] | None = None,
) -> tuple[PartyType, ...]:
    """Section 9's types: known parties, unique ids per party, priors in (0, 1] summing to 1."""
    out: list[PartyType] = []
    seen: set[tuple[str, str]] = set()
    for t in spec.types:
        key = f"types[{t.party}.{t.id}]"
        if t.party not in party_ids:
            raise ScenarioError(origin, f"{key}.party", unknown("party", t.party, party_ids))
        if (t.party, t.id) in seen:
            raise ScenarioError(origin, key, f"duplicate type {t.id!r} for party {t.party!r}")
        seen.add((t.party, t.id))
        if not 0.0 < t.prior <= 1.0:
            raise ScenarioError(origin, f"{key}.prior", f"must lie in (0, 1], got {t.prior:g}")
        for name, value in t.parameters.items():
            if name not in params:
                raise ScenarioError(origin, f"{key}.parameters.{name}", "unknown parameter" + did_you_mean(name, params))
            if not math.isfinite(value):
                raise ScenarioError(origin, f"{key}.parameters.{name}", "must be a finite number")
            check_domain(origin, f"{key}.parameters.{name}", value, (domains or {}).get(name))
        out.append(PartyType(t.party, t.id, t.prior, dict(t.parameters), t.label))
    for pid in sorted({t.party for t in out}):
        total = sum(t.prior for t in out if t.party == pid)
        if abs(total - 1.0) > PRIOR_TOLERANCE:
            raise ScenarioError(
                origin, "types", f"the priors of the types of {pid!r} sum to {total:g}, not 1"
            )
    return tuple(out)


def _likelihood(
    origin: str, key: str, actor: str, likelihood: Mapping[str, float], types: tuple[PartyType, ...]
) -> None:
    """A likelihood per type of the actor, each in [0, 1], not all zero."""
    actor_types = [t.id for t in types if t.party == actor]
    if not actor_types:
        raise ScenarioError(origin, f"{key}.actor", f"{actor!r} is not a party with [[types]]")
    for tid, value in likelihood.items():
        if tid not in actor_types:
            raise ScenarioError(origin, f"{key}.likelihood.{tid}", f"not a type of {actor!r}")
        if not 0.0 <= value <= 1.0:
            raise ScenarioError(
                origin,
                f"{key}.likelihood.{tid}",
                f"is a probability and must lie in [0, 1], got {value:g}",
            )
    for tid in actor_types:
        if tid not in likelihood:
            raise ScenarioError(origin, f"{key}.likelihood", f"missing for type {tid!r}")
    if all(v == 0.0 for v in likelihood.values()):
        raise ScenarioError(origin, f"{key}.likelihood", "is zero for every type")


def _clusters(origin: str, spec: ScenarioSpec, types: tuple[PartyType, ...]) -> tuple[Cluster, ...]:
    """[[clusters]]: related events' joint likelihoods; an id used by events of one actor."""
    _unique(origin, "clusters", [c.id for c in spec.clusters])
    out = []
    for c in spec.clusters:
        key = f"clusters[{c.id}]"
        _likelihood(origin, key, c.actor, c.likelihood, types)
        members = [e for e in spec.events if e.cluster == c.id]
        if not members:
            raise ScenarioError(origin, key, "no event names this cluster")
        out.append(Cluster(c.id, c.actor, dict(c.likelihood), c.label))
    return tuple(out)


def _events(
    origin: str, spec: ScenarioSpec, types: tuple[PartyType, ...], clusters: tuple[Cluster, ...] = ()
) -> tuple[Event, ...]:
    """Section 9's events: the actor has types, a likelihood in [0, 1] for each of them; the
    events of a cluster share its actor."""
    _unique(origin, "events", [e.id for e in spec.events])
    declared = {c.id: c for c in clusters}
    actors: dict[str, str] = {}
    out = []
    for e in spec.events:
        key = f"events[{e.id}]"
        _likelihood(origin, key, e.actor, e.likelihood, types)
        if e.cluster is not None:
            first = actors.setdefault(e.cluster, e.actor)
            if first != e.actor or (e.cluster in declared and declared[e.cluster].actor != e.actor):
                raise ScenarioError(
                    origin, f"{key}.cluster", f"the events of cluster {e.cluster!r} must share one actor"
                )
        out.append(Event(e.id, e.date, e.actor, e.label, dict(e.likelihood), e.source, e.note, e.cluster))
    return tuple(sorted(out, key=lambda ev: ev.date))


def _bargaining(origin: str, spec: ScenarioSpec, ids: list[str]) -> Bargaining:
    """[bargaining]: "nash" takes no other key; "offers" needs two parties and a proposer."""
    b = spec.bargaining
    if b is None:
        return Bargaining()
    key = "bargaining"
    offers_only = {"proposer": b.proposer, "rounds": b.rounds, "round_length": b.round_length, "candidates": b.candidates}
    if b.protocol == "nash":
        for name, value in offers_only.items():
            if value is not None:
                raise ScenarioError(origin, f"{key}.{name}", 'is a key of protocol "offers"; protocol "nash" does not take it')
        return Bargaining()
    if len(ids) != 2:
        raise ScenarioError(
            origin, f"{key}.protocol", f'"offers" needs exactly two parties, this scenario has {len(ids)}'
        )
    if b.proposer is None:
        raise ScenarioError(origin, f"{key}.proposer", f'required under protocol "offers" (one of {", ".join(ids)})')
    if b.proposer not in ids:
        raise ScenarioError(origin, f"{key}.proposer", f"{unknown('party', b.proposer, ids)} (one of {', '.join(ids)})")
    rounds = 3 if b.rounds is None else b.rounds
    if not 1 <= rounds <= MAX_ROUNDS:
        raise ScenarioError(origin, f"{key}.rounds", f"must lie in [1, {MAX_ROUNDS}], got {rounds}")
    length = 1 if b.round_length is None else b.round_length
    if not 1 <= length <= MAX_ROUND_LENGTH:
        raise ScenarioError(origin, f"{key}.round_length", f"must lie in [1, {MAX_ROUND_LENGTH}], got {length}")
    return Bargaining("offers", b.proposer, rounds, length, b.candidates or "solver")


def _outcomes(
    origin: str, spec: ScenarioSpec, party_ids: set[str], move_ids: set[str], initial: set[str]
) -> tuple[Outcome, ...]:
    """[[outcomes]]: stages numbered 1..K in order, known free moves each used once, ``by``
    given exactly when a stage was refused or quit, nothing after a refusal or a quit."""
    out: list[Outcome] = []
    seen: set[str] = set()
    ended = False
    for i, o in enumerate(spec.outcomes, start=1):
        key = f"outcomes[{i}]"
        if o.stage != i:
            raise ScenarioError(origin, f"{key}.stage", f"stages must be numbered 1, 2, ... in order; expected {i}, got {o.stage}")
        if ended:
            raise ScenarioError(origin, key, "comes after a stage that was refused or quit: the schedule ended there")
        for mid in o.moves:
            if mid not in move_ids:
                raise ScenarioError(origin, f"{key}.moves", unknown("move", mid, move_ids))
            if mid in initial:
                raise ScenarioError(origin, f"{key}.moves", f"move {mid!r} is already in effect (initial)")
            if mid in seen:
                raise ScenarioError(origin, f"{key}.moves", f"move {mid!r} appears in two stages")
            seen.add(mid)
        for pid in o.by:
            if pid not in party_ids:
                raise ScenarioError(origin, f"{key}.by", unknown("party", pid, party_ids))
        if o.status == "taken" and o.by:
            raise ScenarioError(origin, f"{key}.by", "a stage that was taken has nobody who refused or quit")
        if o.status != "taken" and not o.by:
            raise ScenarioError(origin, f"{key}.by", f"name who {o.status} (a list of party ids)")
        if o.covert_detected is not None and o.covert_detected < o.date:
            raise ScenarioError(origin, f"{key}.covert_detected", "is before the stage's date")
        if out and o.date < out[-1].date:
            raise ScenarioError(origin, f"{key}.date", "is before the previous stage's date")
        ended = o.status != "taken"
        out.append(Outcome(o.stage, tuple(o.moves), o.status, tuple(o.by), o.date, o.source, o.covert_detected, o.note))
    return tuple(out)


MAX_ROUNDS = 12  # the offers recursion is over (meeting, set of types): keep it small
MAX_ROUND_LENGTH = 400


def _signal(ev: _Evaluator, sig: SignalSpec, types: tuple[PartyType, ...]) -> Signal:
    """Section 10's signals: the sender has types, a cost ≥ 0 for each, a known good type."""
    key = f"signals[{sig.id}]"
    sender_types = [t.id for t in types if t.party == sig.sender]
    if not sender_types:
        raise ev.fail(f"{key}.sender", f"{sig.sender!r} is not a party with [[types]]")
    if sig.good_type not in sender_types:
        raise ev.fail(f"{key}.good_type", f"not a type of {sig.sender!r}")
    cost: dict[str, float] = {}
    for tid, value in sig.cost.items():
        if tid not in sender_types:
            raise ev.fail(f"{key}.cost.{tid}", f"not a type of {sig.sender!r}")
        cost[tid] = _non_negative(ev, f"{key}.cost.{tid}", value)
    for tid in sender_types:
        if tid not in cost:
            raise ev.fail(f"{key}.cost", f"missing for type {tid!r}")
    return Signal(sig.id, sig.sender, sig.kind, cost, sig.good_type, sig.label, sig.note)
