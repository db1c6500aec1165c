"""Held to the record: detente's verdicts on case files against what happened (docs/model.md,
"Validation").

For each case, the schedule as it happened (its `[[outcomes]]`, continued by the agreed schedule
when a proposal starts with the same stages) is played out ("The audit": anyone quits where
quitting pays). Stage k's verdict is the play's at stage k, given the stages before it were
taken: taken if nobody quits there, else not taken, by the quitters. With types, the verdict's
probability is the share of type profiles (weighted by the posterior) in whose world nobody
quits at stage k; without types it is 0 or 1. The record says taken, or refused / quit by
whom. Scores compare these probabilities with the record, beside simple baselines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from detente.analysis import explain
from detente.analysis.audit import schedule_masks
from detente.analysis.types import beliefs_at
from detente.beliefs.bayes import beliefs as belief_trajectories
from detente.model.game import Game, compile_game
from detente.model.play import play
from detente.model.worlds import profile_worlds
from detente.results import (
    BacktestResult,
    CalibrationBin,
    CaseVerdict,
    EventForecast,
    ScoreRow,
    StageVerdict,
)
from detente.scenario.model import Scenario

CLIP = 0.02  # probabilities are kept in [CLIP, 1 − CLIP] for the log score (a 0 or 1 verdict)
BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def outcome_kind(scenario: Scenario) -> str:
    """held, collapsed, never struck, or went along then refused."""
    out = scenario.outcomes
    if not out:
        return "no record"
    last = out[-1]
    if last.status == "taken":
        return "collapsed" if any(o.covert_detected is not None for o in out) else "held"
    if len(out) == 1:
        return "never struck"
    return "went along then refused" if last.status == "refused" else "collapsed"


def schedule_as_happened(scenario: Scenario, g: Game) -> list[int]:
    """The outcomes' stages, continued by a proposal that starts with the same stages."""
    happened = [frozenset(o.moves) for o in scenario.outcomes]
    for prop in scenario.proposals:
        stages = [frozenset(s) for s in prop.stages]
        if stages[: len(happened)] == happened:
            return schedule_masks(g, [list(s) for s in prop.stages], f"proposals[{prop.id}]", scenario.origin)
    return schedule_masks(g, [list(o.moves) for o in scenario.outcomes], "outcomes", scenario.origin)


def case_verdict(scenario: Scenario) -> CaseVerdict:
    """detente's verdict on every recorded stage of one case."""
    g = compile_game(scenario)
    stages = schedule_as_happened(scenario, g)
    base = play(g, stages)
    worlds = [(1.0, g, base)]
    if scenario.types:
        b = beliefs_at(scenario, "posterior")
        worlds = [(w.probability, w.game, play(w.game, stages)) for w in profile_worlds(scenario, b, scenario.bargaining.protocol == "offers")]
    words = explain.Words(scenario)
    rows = []
    for o in scenario.outcomes:
        k = o.stage
        step = base.steps[k - 1]
        quitters = [g.party_ids[q] for q in step.quitters]
        p_taken = sum(prob for prob, _, pl in worlds if not pl.steps[k - 1].quitters)
        p_taken = float(min(1.0, max(0.0, p_taken)))
        taken = o.status == "taken"
        predicted = not quitters
        right = None if taken or predicted else bool(set(quitters) & set(o.by))
        rows.append(
            StageVerdict(
                stage=k,
                moves=list(o.moves),
                recorded=o.status,
                recorded_by=list(o.by),
                predicted_taken=predicted,
                predicted_by=quitters,
                p_taken=p_taken,
                agrees=predicted == taken,
                right_party=right,
                sentence=_stage_sentence(words, k, o.status, list(o.by), quitters, p_taken),
            )
        )
    description = scenario.spec.scenario.description if scenario.spec is not None else ""
    limits = description.split("LIMITS:", 1)[1].strip() if "LIMITS:" in description else ""
    return CaseVerdict(
        case=scenario.id,
        title=scenario.title,
        outcome=outcome_kind(scenario),
        stages=rows,
        agrees=all(r.agrees for r in rows),
        limits=limits,
        events=_event_forecasts(scenario),
    )


def _stage_sentence(w: explain.Words, k: int, status: str, by: list[str], quitters: list[str], p: float) -> str:
    said = "taken" if not quitters else " and ".join(w.party(q) for q in quitters) + " would not go through"
    happened = "taken" if status == "taken" else " and ".join(w.party(q) for q in by) + f" {status}"
    agree = "agrees" if (not quitters) == (status == "taken") else "disagrees"
    return f"Stage {k}: detente says {said} (P taken {p:.2f}); the record: {happened}. It {agree}."


def _event_forecasts(scenario: Scenario) -> list[EventForecast]:
    """The posterior predictive probability of each event before it happened: Σ_θ π(θ)·P(e | θ)."""
    if not scenario.types or not scenario.events:
        return []
    out = []
    for pb in belief_trajectories(scenario).parties:
        before = dict(pb.prior)
        for step in pb.steps:
            if step.counted:
                p = sum(before[t] * step.likelihood[t] for t in before)
                out.append(EventForecast(event=step.event, party=pb.party, probability=float(p)))
            before = step.posterior
    return out


def _scores(name: str, p: Sequence[float], y: Sequence[int]) -> ScoreRow:
    pa = np.asarray(p, dtype=float)
    ya = np.asarray(y, dtype=float)
    clipped = np.clip(pa, CLIP, 1.0 - CLIP)
    brier = float(np.mean((pa - ya) ** 2)) if len(pa) else math.nan
    log_loss = float(-np.mean(ya * np.log(clipped) + (1 - ya) * np.log(1 - clipped))) if len(pa) else math.nan
    # the probability on the right side of 0.5; exactly 0.5 is half right
    right = np.where(pa == 0.5, 0.5, ((pa > 0.5) == (ya == 1)).astype(float))
    accuracy = float(np.mean(right)) if len(pa) else math.nan
    return ScoreRow(forecaster=name, brier=brier, log_loss=log_loss, accuracy=accuracy, n=len(pa))


def calibration(p: Sequence[float], y: Sequence[int]) -> list[CalibrationBin]:
    """Per bin of stated probability: how many, their mean, and how often the stage was taken."""
    out = []
    for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
        idx = [i for i, v in enumerate(p) if lo <= v < hi or (hi == 1.0 and v == 1.0)]
        if not idx:
            out.append(CalibrationBin(low=lo, high=hi, n=0, mean_probability=None, frequency=None))
            continue
        out.append(
            CalibrationBin(
                low=lo,
                high=hi,
                n=len(idx),
                mean_probability=float(np.mean([p[i] for i in idx])),
                frequency=float(np.mean([y[i] for i in idx])),
            )
        )
    return out


def backtest(cases: Sequence[Scenario]) -> BacktestResult:
    """Every case's verdicts, the confusion matrix, accuracy by stage, scores against baselines
    and a calibration table."""
    verdicts = [case_verdict(sc) for sc in cases if sc.outcomes]
    stages = [(sc, v, s) for sc, v in zip([c for c in cases if c.outcomes], verdicts, strict=True) for s in v.stages]
    y = [1 if s.recorded == "taken" else 0 for _, _, s in stages]
    confusion = {"taken": {"taken": 0, "not taken": 0}, "not taken": {"taken": 0, "not taken": 0}}
    for _, _, s in stages:
        confusion["taken" if s.predicted_taken else "not taken"]["taken" if s.recorded == "taken" else "not taken"] += 1
    by_stage: dict[int, list[bool]] = {}
    for _, _, s in stages:
        by_stage.setdefault(s.stage, []).append(s.agrees)
    base_rate = float(np.mean(y)) if y else 0.5
    p_detente = [s.p_taken for _, _, s in stages]
    p_reciprocal = [
        1.0 if len({sc.move(m).owner for m in s.moves}) >= 2 else 0.0 for sc, _, s in stages
    ]
    scores = [
        _scores("detente", p_detente, y),
        _scores("every stage taken", [1.0] * len(y), y),
        _scores("reciprocal stages taken", p_reciprocal, y),
        _scores("the bank's base rate", [base_rate] * len(y), y),
        _scores("a coin", [0.5] * len(y), y),
    ]
    events = [e.probability for v in verdicts for e in v.events]
    event_scores = []
    if events:
        ones = [1] * len(events)
        event_scores = [_scores("detente's predictive probability", events, ones), _scores("a coin", [0.5] * len(events), ones)]
    agree = sum(1 for _, _, s in stages if s.agrees)
    summary = (
        f"{len(verdicts)} cases, {len(stages)} recorded stages: detente agrees with the record on {agree} "
        f"({agree / len(stages):.0%})" if stages else "No case has a record ([[outcomes]])."
    )
    if stages:
        best = min(scores, key=lambda r: r.brier)
        summary += f"; lowest Brier score: {best.forecaster} ({best.brier:.3f}, detente {scores[0].brier:.3f})."
    return BacktestResult(
        cases=verdicts,
        confusion=confusion,
        accuracy_by_stage={k: float(np.mean(v)) for k, v in sorted(by_stage.items())},
        scores=scores,
        event_scores=event_scores,
        calibration=calibration(p_detente, y),
        base_rate=base_rate,
        clip=CLIP,
        summary=summary,
    )
