"""Run many histories on every core and summarise them (docs/model.md, "Summit versus working level").

Histories are cut into chunks of consecutive indices; each worker (a local process or a Dask
worker, see ``detente.parallel``) gets the scenario once, simulates its chunks under every
strategy and returns one tally per strategy, merged in chunk order. The answer depends only on
the seed and the number of histories, not on the executor, the number of workers or the
chunk size (a test). Ctrl-C stops the run: the chunks already done are summarised and marked
incomplete.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

import numpy as np

from detente.defaults import DEFAULT_STRATEGIES
from detente.errors import ScenarioError
from detente.model.game import Game
from detente.model.template import GameTemplate, game_for, template_of
from detente.parallel import Execution, run_in_order
from detente.results import Estimate, SimulationResult, StrategyStats
from detente.scenario.model import Scenario
from detente.solvers.dp import Plan, solve_game
from detente.uncertainty.aggregate import Tally, mean_ci, wilson
from detente.uncertainty.history import Typing, draw_history, proposer_roles, simulate
from detente.uncertainty.summit import Answer

CHUNK = 25
HINTS = 16  # the last deals found, the solver's hints (measured: 16 beat 1, 4 and 8 on hanoi-2019)
FREQUENT = 32  # and as many of the deals found most often (measured: 32 beat 0, 16 and 64)
TALLIED = 4096  # deals counted at most (then the least found are forgotten)
STRATEGY = re.compile(r"^(summit-first|working-(\d{1,3}))$")

Progress = Callable[[int, int], None]  # (histories done, histories asked for)


def working_rounds(name: str, origin: str, key: str = "strategies") -> int:
    m = STRATEGY.match(name)
    if not m:
        raise ScenarioError(
            origin, key, f"unknown strategy {name!r}: use summit-first or working-N (N ≥ 1)"
        )
    return 0 if m.group(2) is None else int(m.group(2))


class _Worlds:
    """Parameters -> compiled game, memoised (a history's truth is shared by every strategy)."""

    def __init__(self, scenario: Scenario) -> None:
        assert scenario.spec is not None
        self.scenario = scenario
        self.names = sorted(scenario.parameters)
        self._cached = lru_cache(maxsize=4096)(self._build)
        self._best = lru_cache(maxsize=1024)(self._solve)
        self._recent: list[tuple[int, ...]] = []  # the last deals found, most recent last
        self._found: Counter[tuple[int, ...]] = Counter()  # how often each deal was found
        self._frequent: list[tuple[int, ...]] = []  # the deals found most often, as last ranked
        self._solved = 0  # the deals found
        self._template: GameTemplate | None = None  # built at the first world (it resolves the scenario)

    def _build(self, values: tuple[float, ...]) -> Game:
        if self._template is None:
            self._template = template_of(self.scenario)
        return game_for(self._template, dict(zip(self.names, values, strict=True)))

    def __call__(self, params: dict[str, float]) -> Game:
        return self._cached(tuple(params[k] for k in self.names))

    def best(self, params: dict[str, float], max_transitions: int) -> Plan | None:
        """The solver's deal for these parameters, memoised: a summit repeated with nothing
        learnt in between (summit-first) proposes the same deal without a second solve."""
        return self._best(tuple(params[k] for k in self.names), max_transitions)

    def _solve(self, values: tuple[float, ...], max_transitions: int) -> Plan | None:
        """The deals found last, and those found most often, are the solver's hints: worlds
        solved in a row are close (the same history, or another reading of it), and a few
        deals are most worlds' deals, so one of them is often this world's deal or near it;
        the best feasible one bounds the search. The answer does not depend on them
        (docs/model.md, "The solver")."""
        g = self._cached(values)
        recent = self._recent[::-1]
        hints = recent + [d for d in self._frequent if d not in recent][:FREQUENT]
        best = solve_game(g, max_transitions, workers=1, keep_frontier=False, hints=hints).best
        if best is not None and best.stages:
            deal = tuple(best.stages)
            if deal in self._recent:
                self._recent.remove(deal)
            self._recent = [*self._recent[-(HINTS - 1):], deal]
            self._found[deal] += 1
            self._solved += 1
            if self._solved % FREQUENT == 1:  # ranked again now and then: a ranking costs a sort
                if len(self._found) > TALLIED:
                    self._found = Counter(dict(self._found.most_common(TALLIED // 4)))
                self._frequent = [d for d, _ in self._found.most_common(HINTS + FREQUENT)]
        return best


_WORLDS: dict[tuple[object, ...], _Worlds] = {}


def worlds_for(scenario: Scenario) -> _Worlds:
    """One memo per scenario and worker process, kept across its chunks."""
    key = (scenario.content_hash, tuple(sorted(scenario.parameters.items())))
    if key not in _WORLDS:
        if len(_WORLDS) >= 4:
            _WORLDS.pop(next(iter(_WORLDS)))
        _WORLDS[key] = _Worlds(scenario)
    return _WORLDS[key]


def check_beliefs(origin: str, which: str) -> None:
    """Refuse a belief to draw types from that is not "prior", "posterior" or "none"."""
    if which not in ("prior", "posterior", "none"):
        raise ScenarioError(origin, "beliefs", f"must be prior, posterior or none, got {which!r}")


def typing_of(scenario: Scenario, which: str = "posterior") -> Typing:
    """The parties' types and the belief histories draw them from: the prior, or the posterior
    after the scenario's events (docs/model.md, "Types and beliefs"); "none" draws no types
    (version 1's histories)."""
    check_beliefs(scenario.origin, which)
    if which == "none":
        n = len(scenario.parties)
        return Typing(((),) * n, ((),) * n, ((),) * n)
    from detente.beliefs.bayes import beliefs

    final = {b.party: (b.prior if which == "prior" else b.final) for b in beliefs(scenario).parties}
    types, belief, overrides = [], [], []
    for party in scenario.parties:
        ts = scenario.types_of(party.id)
        types.append(tuple(t.id for t in ts))
        belief.append(tuple(float(final.get(party.id, {}).get(t.id, 0.0)) for t in ts))
        overrides.append(tuple(dict(t.overrides) for t in ts))
    return Typing(tuple(types), tuple(belief), tuple(overrides))


def run_chunk(
    scenario: Scenario, seed: int, start: int, stop: int, rounds: tuple[int, ...], typing: Typing | None = None
) -> list[Tally]:
    """Histories ``start`` to ``stop − 1`` under every strategy: one tally per strategy."""
    worlds = worlds_for(scenario)
    owners = {n: p.owner for n, p in scenario.spec.parameters.items()} if scenario.spec else {}
    names = tuple(typing.types) if typing else ()
    proposer = _proposer(scenario)
    tallies = [Tally(len(scenario.parties), type_names=names, proposer=proposer) for _ in rounds]
    for i in range(start, stop):
        d = draw_history(scenario, seed, i)
        held: dict[tuple[float, tuple[float, ...], int], Answer] = {}  # the history's summits, shared by its strategies
        for tally, n in zip(tallies, rounds, strict=True):
            tally.add(simulate(scenario, worlds, d, n, owners, scenario.solver.max_transitions, typing, held))
    return tallies


def run(
    scenario: Scenario,
    samples: int,
    seed: int = 0,
    strategies: tuple[str, ...] = DEFAULT_STRATEGIES,
    execution: Execution | None = None,
    progress: Progress | None = None,
    beliefs: str = "posterior",
) -> SimulationResult:
    """Simulate ``samples`` histories under each strategy (default: a process on every core);
    the true types are drawn from the ``beliefs`` ("prior" or "posterior")."""
    if scenario.uncertainty is None:
        raise ScenarioError(scenario.origin, "uncertainty", "the scenario has no [uncertainty] table to simulate")
    if samples < 1:
        raise ScenarioError(scenario.origin, "samples", f"must be at least 1, got {samples}")
    rounds = tuple(working_rounds(s, scenario.origin) for s in strategies)
    typing = typing_of(scenario, beliefs)
    execution = execution or Execution()
    started = time.perf_counter()
    totals = [Tally(len(scenario.parties), type_names=tuple(typing.types), proposer=_proposer(scenario)) for _ in rounds]
    chunks = [(seed, a, min(a + CHUNK, samples), rounds, typing) for a in range(0, samples, CHUNK)]
    done = 0

    def take(i: int, parts: list[Tally]) -> None:
        nonlocal done
        for total, part in zip(totals, parts, strict=True):
            total.merge(part)
        done = chunks[i][2]
        if progress:
            progress(done, samples)

    complete = run_in_order(run_chunk, scenario, chunks, execution, take)
    return _summary(scenario, samples, done, complete, seed, strategies, rounds, totals, execution, started, beliefs, typing)


def _proposer(scenario: Scenario) -> int | None:
    roles = proposer_roles(scenario)
    return None if roles is None else roles[0]


def _share(count: int | np.integer, n: int) -> float:
    return float(count) / n if n else 0.0


def _estimate(t: tuple[float, float, float]) -> Estimate:
    return Estimate(**{k: (None if math.isnan(v) else v) for k, v in zip(("estimate", "low", "high"), t, strict=True)})


def _summary(
    scenario: Scenario,
    samples: int,
    done: int,
    complete: bool,
    seed: int,
    strategies: tuple[str, ...],
    rounds: tuple[int, ...],
    totals: list[Tally],
    execution: Execution,
    started: float,
    beliefs: str = "posterior",
    typing: Typing | None = None,
) -> SimulationResult:
    u = scenario.uncertainty
    assert u is not None
    pids = [p.id for p in scenario.parties]
    stats = []
    for name, n, t in zip(strategies, rounds, totals, strict=True):
        stats.append(
            StrategyStats(
                strategy=name,
                working_rounds=n,
                histories=t.histories,
                p_signed=_estimate(wilson(t.signed, t.histories)),
                p_holds_given_signed=_estimate(wilson(t.holds, t.signed)),
                periods_to_signature=_estimate(mean_ci(t.periods, t.periods_sq, t.signed)),
                summits=t.summits / t.histories if t.histories else 0.0,
                expected_values={
                    p: _estimate(mean_ci(float(t.values[i]), float(t.values_sq[i]), t.histories))
                    for i, p in enumerate(pids)
                },
                defections={p: int(t.defections[i]) for i, p in enumerate(pids)},
                no_deal={k: _estimate(wilson(v, t.histories)) for k, v in t.no_deal.items()},
                working_rounds_held=t.working_held / t.histories if t.histories else 0.0,
                working_refused={p: _share(t.working_refused[i], t.histories) for i, p in enumerate(pids)},
                summit_refused={p: _share(t.summit_refused[i], t.histories) for i, p in enumerate(pids)},
                signed_by_types={k: _estimate(wilson(v[1], v[0])) for k, v in sorted(t.by_types.items())},
                holds_by_types={k: _estimate(wilson(v[2], v[1])) for k, v in sorted(t.by_types.items())},
                histories_by_types={k: v[0] for k, v in sorted(t.by_types.items())},
                signed_by_proposer_type={k: _estimate(wilson(v[1], v[0])) for k, v in sorted(t.by_proposer.items())},
                histories_by_proposer_type={k: v[0] for k, v in sorted(t.by_proposer.items())},
                learnt={
                    p: _estimate(mean_ci(float(t.learnt[i]), float(t.learnt_sq[i]), int(t.learnt_n[i])))
                    for i, p in enumerate(pids) if t.learnt_n[i]
                },
            )
        )
    return SimulationResult(
        scenario=scenario.id,
        content_hash=scenario.content_hash,
        parameters=dict(scenario.parameters),
        samples=samples,
        completed=done,
        complete=complete and done == samples,
        seed=seed,
        horizon=u.horizon,
        misperception=u.misperception,
        working_level_gain=u.working_level_gain,
        summit_cooldown=u.summit_cooldown,
        summit_gain=u.summit_gain,
        working_level_refusal=dict(zip(pids, u.working_level_refusal or (0.0,) * len(pids), strict=True)),
        working_level_cost=dict(zip(pids, u.working_level_cost or (0.0,) * len(pids), strict=True)),
        shock_hazard=u.shock_hazard,
        proposer=None if (who := _proposer(scenario)) is None else pids[who],
        beliefs=beliefs if typing is not None and typing.active else None,
        type_beliefs={
            pid: dict(zip(ts, b, strict=True))
            for pid, ts, b in zip(pids, typing.types, typing.belief, strict=True) if ts
        } if typing is not None else {},
        workers=execution.workers_used,
        executor=execution.describe(),
        seconds=time.perf_counter() - started,
        strategies=stats,
    )
