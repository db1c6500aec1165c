"""The flat tables a run's result is stored as (what `detente runs export` writes): one row
per strategy, per index or per stage, with plain columns a spreadsheet or DuckDB can read."""

from __future__ import annotations

from pydantic import BaseModel

from detente.results import (
    BacktestResult,
    ForecastMonteCarloResult,
    ForecastResult,
    ForecastSensitivityResult,
    RobustSolveResult,
    SensitivityResult,
    SimulationResult,
    SolveResult,
    Spread,
)

Row = dict[str, object]


def simulation_tables(r: SimulationResult) -> dict[str, list[Row]]:
    rows: list[Row] = []
    for s in r.strategies:
        row: Row = {
            "strategy": s.strategy,
            "working_rounds": s.working_rounds,
            "histories": s.histories,
            "summits": s.summits,
        }
        for name, e in (
            ("p_signed", s.p_signed),
            ("p_holds_given_signed", s.p_holds_given_signed),
            ("periods_to_signature", s.periods_to_signature),
        ):
            row[name], row[f"{name}_low"], row[f"{name}_high"] = e.estimate, e.low, e.high
        for party, e in s.expected_values.items():
            row[f"value_{party}"], row[f"value_{party}_low"], row[f"value_{party}_high"] = e.estimate, e.low, e.high
        for party, n in s.defections.items():
            row[f"defections_{party}"] = n
        row["working_rounds_held"] = s.working_rounds_held
        for reason, e in s.no_deal.items():
            key = "no_deal_" + reason.replace("-", "_")
            row[key], row[f"{key}_low"], row[f"{key}_high"] = e.estimate, e.low, e.high
        for party, x in s.working_refused.items():
            row[f"working_refused_{party}"] = x
        for party, x in s.summit_refused.items():
            row[f"summit_refused_{party}"] = x
        rows.append(row)
    by_types: list[Row] = []
    for s in r.strategies:
        for k, e in s.signed_by_types.items():
            h = s.holds_by_types[k]
            by_types.append({
                "strategy": s.strategy, "true_types": k, "histories": s.histories_by_types[k],
                "p_signed": e.estimate, "p_signed_low": e.low, "p_signed_high": e.high,
                "p_holds_given_signed": h.estimate, "p_holds_given_signed_low": h.low, "p_holds_given_signed_high": h.high,
            })
    by_proposer: list[Row] = []
    for s in r.strategies:
        for k, e in s.signed_by_proposer_type.items():
            by_proposer.append({
                "strategy": s.strategy, "proposer": r.proposer, "proposer_type": k,
                "histories": s.histories_by_proposer_type[k],
                "p_signed": e.estimate, "p_signed_low": e.low, "p_signed_high": e.high,
            })
    out = {"strategies": rows}
    if by_types:
        out["by_types"] = by_types
    if by_proposer:
        out["by_proposer_type"] = by_proposer
    return out


def sensitivity_tables(r: SensitivityResult) -> dict[str, list[Row]]:
    rows: list[Row] = []
    for m in r.metrics:
        for rank, p in enumerate(m.parameters, start=1):
            rows.append(
                {"metric": m.metric, "rank": rank, "constant": m.constant, **p.model_dump(mode="json")}
            )
    return {"indices": rows} if rows else {}


def solve_tables(r: SolveResult | RobustSolveResult) -> dict[str, list[Row]]:
    """The deal's schedule, one row per move with its stage."""
    rows: list[Row] = [
        {"stage": k, "move": move} for k, stage in enumerate(r.schedule, start=1) for move in stage
    ]
    return {"schedule": rows} if rows else {}


def forecast_tables(r: ForecastResult) -> dict[str, list[Row]]:
    """Positions (0-100, as KTAB prints them) per state, actor and dimension; the challenges."""
    positions: list[Row] = [
        {"state": t, "actor": r.actors[a], "dimension": r.dimensions[k], "position": 100 * x,
         "winning_probability": r.winning_probabilities[t][a]}
        for t, state in enumerate(r.positions)
        for a, pos in enumerate(state)
        for k, x in enumerate(pos)
    ]
    challenges: list[Row] = [
        {"turn": turn.turn + 1, "initiator": c.initiator_name, "target": c.target_name, "gain": c.gain,
         "probability": c.probability}
        for turn in r.turns
        for c in turn.challenges
    ]
    out = {"positions": positions}
    if challenges:
        out["challenges"] = challenges
    return out


def _spread(s: Spread, prefix: str = "") -> Row:
    return {f"{prefix}{k}": v for k, v in s.model_dump().items()}


def forecast_mc_tables(r: ForecastMonteCarloResult) -> dict[str, list[Row]]:
    """The outcome per dimension, the final positions per actor and dimension, how far each
    actor ends from its start (0-100 scale), and the varied inputs."""
    out: dict[str, list[Row]] = {}
    if r.outcomes:
        out["outcomes"] = [
            {"dimension": o.dimension, "start": o.start, **_spread(o.final), "mean_low": o.mean_low, "mean_high": o.mean_high}
            for o in r.outcomes
        ]
        out["positions"] = [
            {"actor": p.actor, "dimension": p.dimension, "start": p.start, **_spread(p.final)} for p in r.positions
        ]
        out["stays"] = [
            {"actor": s.actor, "within": s.within, "p_within": s.p_within, "p_low": s.p_low, "p_high": s.p_high,
             **_spread(s.moved, "moved_")}
            for s in r.stays
        ]
    if r.varied:
        out["varied"] = [{"key": v.key, "distribution": v.distribution, **v.params} for v in r.varied]
    return out


def forecast_sensitivity_tables(r: ForecastSensitivityResult) -> dict[str, list[Row]]:
    """One row per metric and input, most influential first (as `sensitivity_tables`)."""
    rows: list[Row] = [
        {"metric": m.metric, "rank": rank, "constant": m.constant, **p.model_dump(mode="json")}
        for m in r.metrics
        for rank, p in enumerate(m.parameters, start=1)
    ]
    return {"indices": rows} if rows else {}


def backtest_tables(r: BacktestResult) -> dict[str, list[Row]]:
    """One row per case and recorded stage, and one per forecaster's scores."""
    stages: list[Row] = [
        {
            "case": c.case,
            "outcome": c.outcome,
            "stage": s.stage,
            "recorded": s.recorded,
            "recorded_by": ",".join(s.recorded_by),
            "predicted_taken": s.predicted_taken,
            "predicted_by": ",".join(s.predicted_by),
            "p_taken": s.p_taken,
            "agrees": s.agrees,
        }
        for c in r.cases
        for s in c.stages
    ]
    scores: list[Row] = [
        {"forecaster": s.forecaster, "brier": s.brier, "log_loss": s.log_loss, "accuracy": s.accuracy, "n": s.n}
        for s in r.scores
    ]
    return {"stages": stages, "scores": scores}


def tables_for(result: BaseModel) -> dict[str, list[Row]]:
    """The tables a result is stored as, picked by its type (none for a result without any)."""
    if isinstance(result, SimulationResult):
        return simulation_tables(result)
    if isinstance(result, SensitivityResult):
        return sensitivity_tables(result)
    if isinstance(result, SolveResult | RobustSolveResult):
        return solve_tables(result)
    if isinstance(result, ForecastResult):
        return forecast_tables(result)
    if isinstance(result, ForecastMonteCarloResult):
        return forecast_mc_tables(result)
    if isinstance(result, ForecastSensitivityResult):
        return forecast_sensitivity_tables(result)
    if isinstance(result, BacktestResult):
        return backtest_tables(result)
    return {}


__all__ = [
    "backtest_tables",
    "forecast_mc_tables",
    "forecast_sensitivity_tables",
    "forecast_tables",
    "sensitivity_tables",
    "simulation_tables",
    "solve_tables",
    "tables_for",
]
