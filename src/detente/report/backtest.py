"""The backtest as one self-contained HTML page: the verdicts against the record, the scores
beside the baselines, and a calibration chart (docs/model.md, "Validation")."""

from __future__ import annotations

import html

import plotly.graph_objects as go

from detente.report._style import layout
from detente.report.html import _figure, _page, _table
from detente.results import BacktestResult


def calibration_figure(result: BacktestResult) -> go.Figure:
    """Stated probability against how often, with the number of stages per bin; the diagonal is
    perfect calibration."""
    bins = [b for b in result.calibration if b.n and b.mean_probability is not None]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                             line={"color": "grey", "dash": "dash"}))
    fig.add_trace(
        go.Scatter(
            x=[b.mean_probability for b in bins],
            y=[b.frequency for b in bins],
            mode="markers+text",
            name="detente",
            text=[f"n = {b.n}" for b in bins],
            textposition="top center",
            marker={"size": [10 + 4 * b.n ** 0.5 for b in bins], "color": "#0072B2"},
            hovertemplate="stated %{x:.2f}, taken %{y:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="detente's probability that the stage is taken", range=[-0.05, 1.05])
    fig.update_yaxes(title="share of those stages taken", range=[-0.05, 1.15])
    return layout(fig, "Calibration: what detente said against what happened", height=420,
                  subtitle=f"{sum(b.n for b in bins)} recorded stages, binned by stated probability")


def backtest_report(result: BacktestResult) -> str:
    """The whole backtest, offline."""
    e = html.escape
    body = [
        "<h1>detente against the record</h1>",
        f"<p>{e(result.summary)}</p>",
        "<h2>Scores</h2>",
        _table(
            ["forecaster", "Brier", "log loss", "accuracy", "n"],
            [[e(s.forecaster), f"{s.brier:.3f}", f"{s.log_loss:.3f}", f"{s.accuracy:.0%}", str(s.n)]
             for s in result.scores + result.event_scores],
            {1, 2, 3, 4},
        ),
        f'<p class="note">Log loss with probabilities clipped to [{result.clip}, {1 - result.clip}]; '
        f"the bank's base rate is {result.base_rate:.2f} (in sample).</p>",
        _figure("calibration", calibration_figure(result)),
        "<h2>Each case, stage by stage</h2>",
    ]
    rows = []
    for c in result.cases:
        for s in c.stages:
            record = "taken" if s.recorded == "taken" else f"{s.recorded} by {', '.join(s.recorded_by)}"
            said = "taken" if s.predicted_taken else f"not taken: {', '.join(s.predicted_by)}"
            mark = '<span class="ok">agrees</span>' if s.agrees else '<span class="fails">differs</span>'
            rows.append([e(f"{c.case} ({c.outcome})"), str(s.stage), e(record), e(said), f"{s.p_taken:.2f}", mark])
    body.append(_table(["case", "stage", "record", "detente", "P taken", ""], rows, {1, 4}))
    limits = [c for c in result.cases if c.limits]
    if limits:
        body.append("<h2>What the model cannot express</h2><ul>")
        body += [f"<li><b>{e(c.case)}</b>: {e(c.limits)}</li>" for c in limits]
        body.append("</ul>")
    for fc in result.forecasts:
        body.append(f"<h2>{e(fc.title)} against its record</h2><p>{e(fc.summary)}</p>")
        body.append(
            _table(
                ["date", "dimension", "forecast error", "nobody moves", "right way"],
                [[e(s.date.isoformat()), e(s.dimension or "all"), f"{s.forecast_mae:.1f}", f"{s.baseline_mae:.1f}",
                  f"{s.same_direction} of {s.record_moved}"] for s in fc.scores],
                {2, 3},
            )
        )
    return _page("detente against the record", body)
