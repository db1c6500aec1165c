"""Solve a scenario and explain the answer (docs/model.md, "Which deal" and "The audit")."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from detente.analysis import explain
from detente.analysis.audit import audit_proposal, audit_schedule
from detente.analysis.offers import Shared, offers, setups
from detente.analysis.signals import signals
from detente.analysis.types import beliefs_at, robust_views
from detente.defaults import DEFAULT_TAU
from detente.errors import SolverLimitError
from detente.model.bargaining import is_individually_rational, nash_score
from detente.model.game import Game, compile_game
from detente.results import (
    Analysis,
    AuditResult,
    Benchmark,
    Binding,
    FrontierPoint,
    ProposalVerdict,
    SolveResult,
    SolverStats,
)
from detente.scenario.model import Scenario
from detente.solvers.dp import DPResult, Plan, solve_game

TIGHTEST = 3
BENCHMARK_CACHE = 64  # enforceable benchmarks kept, by scenario content (overrides included)
_benchmarks: OrderedDict[str, Benchmark | None] = OrderedDict()
_benchmarks_lock = threading.Lock()


def solve(scenario: Scenario, game: Game | None = None, *, benchmark: bool = True, frontier: bool = False) -> SolveResult:
    """The self-enforcing deal of ``scenario`` (or why there is none).

    ``benchmark``: also the best schedule if promises were enforceable (``if_enforceable``),
    cached by the scenario's content. ``frontier``: also the whole Pareto frontier at the status
    quo (``frontier``; a slower search without the bound on the Nash product).
    """
    g = game if game is not None else compile_game(scenario)
    limit = scenario.solver.max_transitions
    try:
        result = solve_game(g, limit, keep_frontier=frontier, full_frontier=frontier)
    except SolverLimitError as exc:
        raise SolverLimitError(f"{scenario.origin}: solver: {exc}") from None
    pid = g.party_ids
    words = explain.Words(scenario)
    d = result.disagreement.values
    bench = _benchmark(scenario, g, limit, result.best) if benchmark else None

    audit: AuditResult | None = None
    binding: list[Binding] = []
    if result.best is not None:
        schedule = [g.ids(s) for s in result.best.stages]
        values = {pid[p]: float(result.best.values[p]) for p in range(g.n_parties)}
        gains = {pid[p]: float(result.best.values[p] - d[p]) for p in range(g.n_parties)}
        count, score = nash_score(result.best.values, d, g.beta)
        nash = score if count == g.n_parties else None
        audit = audit_schedule(scenario, schedule, game=g)
        binding = _tightest(audit, words)
        explanation = _deal_sentence(words, schedule, gains, bench, values)
    else:
        schedule, values, gains, nash = [], None, None, None
        explanation = _no_deal_sentence(bench, benchmark)
    return SolveResult(
        scenario=scenario.id,
        deal=result.best is not None,
        schedule=schedule,
        values=values,
        disagreement={pid[p]: float(d[p]) for p in range(g.n_parties)},
        gains=gains,
        bargaining_power={pid[p]: float(g.beta[p]) for p in range(g.n_parties)},
        nash_product=nash,
        no_deal_reversals=g.ids(result.disagreement.reversed),
        explanation=explanation,
        binding=binding,
        audit=audit,
        if_enforceable=bench,
        frontier=_frontier(g, result),
        solver=SolverStats(
            free_moves=g.n_free,
            max_stage_moves=g.max_stage_moves,
            max_stages=g.max_stages,
            states=result.states,
            transitions=result.transitions,
            frontier_entries=result.entries,
            seconds=result.seconds,
        ),
    )


def _benchmark(scenario: Scenario, g: Game, limit: int, deal: Plan | None) -> Benchmark | None:
    """The best schedule if promises were enforceable, and what breaks it without enforcement.

    The same search with IC and stability off; the self-enforcing deal, feasible there too,
    starts its bound. Kept per scenario content (every resolved number, so overrides too).
    """
    key = hashlib.sha256(repr(scenario).encode()).hexdigest()
    with _benchmarks_lock:
        if key in _benchmarks:
            _benchmarks.move_to_end(key)
            return _benchmarks[key]
    try:
        result = solve_game(
            g, limit, enforce_ic=False, enforce_stable=False, keep_frontier=False,
            incumbent=None if deal is None else deal.values,
        )
    except SolverLimitError as exc:
        raise SolverLimitError(f"{scenario.origin}: solver (if promises were enforceable): {exc}") from None
    bench = None
    if result.best is not None:
        schedule = [g.ids(s) for s in result.best.stages]
        report = audit_schedule(scenario, schedule, game=g)
        bench = Benchmark(
            schedule=schedule,
            values={g.party_ids[p]: float(result.best.values[p]) for p in range(g.n_parties)},
            failures=[f for f in report.failures if f.kind != "path-covert"],
        )
    with _benchmarks_lock:
        _benchmarks[key] = bench
        while len(_benchmarks) > BENCHMARK_CACHE:
            _benchmarks.popitem(last=False)
    return bench


def _frontier(g: Game, result: DPResult) -> list[FrontierPoint]:
    d = result.disagreement.values
    points = [
        FrontierPoint(
            schedule=[g.ids(s) for s in plan.stages],
            values={g.party_ids[p]: float(plan.values[p]) for p in range(g.n_parties)},
            individually_rational=is_individually_rational(plan.values, d),
        )
        for plan in result.frontier
    ]
    return sorted(points, key=lambda pt: [-v for v in pt.values.values()])


def _tightest(audit: AuditResult, words: explain.Words) -> list[Binding]:
    rows: list[Binding] = []
    for c in audit.stages:
        if c.slack is not None and c.deviation is not None:
            rows.append(
                Binding(
                    where=f"stage {c.stage}",
                    party=c.party,
                    slack=c.slack,
                    sentence=(
                        f"Stage {c.stage}, {words.party(c.party)} (slack {c.slack:.2f}): "
                        f"{words.deviation(c.deviation)} would be "
                        f"worth {c.deviate:.2f} against {c.comply:.2f} for complying"
                        f"{words.aftermath(c.deviation)}."
                    ),
                )
            )
    for f in audit.final.checks:
        if f.slack is None:
            continue
        if f.kind == "overt" and f.deviation is not None:
            how, after = words.deviation(f.deviation), words.aftermath(f.deviation)
        else:
            how, after = f"secretly stopping ({words.moves(f.cheat)})", ""
        rows.append(
            Binding(
                where=f"final ({f.kind})",
                party=f.party,
                slack=f.slack,
                sentence=(
                    f"Final agreement, {words.party(f.party)} (slack {f.slack:.2f}): {how} would be "
                    f"worth {f.deviate:.2f} against {f.comply:.2f} for keeping it{after}."
                ),
            )
        )
    rows.sort(key=lambda b: b.slack)
    return rows[:TIGHTEST]


def _deal_sentence(
    words: explain.Words,
    schedule: list[list[str]],
    gains: dict[str, float],
    bench: Benchmark | None,
    values: dict[str, float],
) -> str:
    gain_text = " and ".join(f"{words.party(p)} gains {g:.2f}" for p, g in gains.items())
    text = (
        f"A self-enforcing deal exists in {len(schedule)} stage{'s' if len(schedule) != 1 else ''}; "
        f"over no deal, {gain_text}."
    )
    if bench is not None and bench.schedule != schedule:
        diffs = []
        for p, v in values.items():
            delta = v - bench.values[p]
            if abs(delta) > 0.005:
                diffs.append(f"{words.party(p)} {'more' if delta > 0 else 'less'} by {abs(delta):.2f}")
        text += (
            " If promises were enforceable the parties would strike a different deal "
            f"({len(bench.schedule)} stage{'s' if len(bench.schedule) != 1 else ''}); against it, "
            "this one gives " + (", ".join(diffs) if diffs else "the same values") + "."
        )
    return text


def _no_deal_sentence(bench: Benchmark | None, computed: bool = True) -> str:
    if not computed:
        return (
            "No self-enforcing deal: no schedule of the moves on the table is incentive compatible "
            "at every stage, ends in a stable agreement and leaves every party at least as well "
            "off as no deal."
        )
    if bench is None:
        return (
            "No self-enforcing deal: no schedule of the moves on the table leaves every party at "
            "least as well off as no deal, even if promises were enforceable."
        )
    why = bench.failures[0].sentence if bench.failures else "it is not self-enforcing."
    return (
        "No self-enforcing deal. With enforceable promises the best deal would take "
        f"{len(bench.schedule)} stage{'s' if len(bench.schedule) != 1 else ''}; without enforcement "
        f"it fails: {why}"
    )


def analyse(scenario: Scenario, tau: float = DEFAULT_TAU) -> Analysis:
    """Everything ``detente run`` shows: status quo, proposals' verdicts (with their play),
    under protocol "offers" the proposer's offers at the posterior and what refusals teach,
    the signals' verdicts, and the complete-information Nash deal as a benchmark; under
    protocol "nash" with types, the deal safe against every type at least ``tau`` likely."""
    g = compile_game(scenario)
    verdicts = [
        ProposalVerdict(
            proposal=p.id,
            label=p.label,
            by=p.by,
            audit=audit_proposal(scenario, p.id, g),
        )
        for p in scenario.proposals
    ]
    solved = solve(scenario, g)
    posterior = beliefs_at(scenario, "posterior") if scenario.types else {}
    offer_view = None
    built = None
    shared = Shared(scenario)  # the offers games with each party proposing share their worlds
    if scenario.bargaining.protocol == "offers":
        built = setups(scenario, "posterior", shared=shared)
        offer_view = offers(scenario, "posterior", solved=built)
    signal_view = signals(scenario, tau, "posterior", solved=built, shared=shared) if scenario.signals and scenario.types else None
    robust = robust_views(scenario, tau) if scenario.bargaining.protocol == "nash" else []
    return Analysis(
        scenario=scenario.id,
        title=scenario.title,
        period=scenario.period,
        parameters=dict(scenario.parameters),
        status_quo=sorted(scenario.initial),
        no_deal_reversals=solved.no_deal_reversals,
        proposals=verdicts,
        solve=solved,
        beliefs=posterior,
        offers=offer_view,
        signals=signal_view,
        robust=robust,
    )
