"""Figures of the Monte Carlo histories (detente simulate) and the sensitivity indices."""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from detente.report._style import colour, layout, names_or_ids, note
from detente.results import Estimate, SensitivityResult, SimulationResult


def _value(e: Estimate) -> float | None:
    return e.estimate


def _errors(es: list[Estimate]) -> dict[str, object]:
    """Asymmetric 95% error bars; none where a bound is undefined."""
    plus = [None if e.high is None or e.estimate is None else e.high - e.estimate for e in es]
    minus = [None if e.low is None or e.estimate is None else e.estimate - e.low for e in es]
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "thickness": 1.5}


NO_DEAL_LABELS = {
    "no-true-deal": "no self-enforcing deal (true world)",
    "shock": "a shock ended the talks",
    "refused-working": "working-level rounds refused",
    "refused-offers": "summits failed",
    "out-of-time": "out of time",
}


def simulation_outcomes(sim: SimulationResult, names: dict[str, str] | None = None) -> go.Figure:
    """Per strategy: the chance of a signed deal and of its holding (left), each party's
    expected value of the whole history (middle), and why histories end without a deal
    (right, when recorded), with 95% confidence intervals."""
    reasons = bool(sim.strategies and sim.strategies[0].no_deal)
    fig = make_subplots(
        rows=1, cols=3 if reasons else 2, horizontal_spacing=0.09 if reasons else 0.12,
        subplot_titles=(f"Chances within {sim.horizon} periods", "Expected value of the history")
        + (("Why no deal (share of histories)",) if reasons else ()),
    )
    strategies = [s.strategy for s in sim.strategies]
    chances = (
        ("P(signed by the horizon)", [s.p_signed for s in sim.strategies]),
        ("P(holds | signed)", [s.p_holds_given_signed for s in sim.strategies]),
    )
    for i, (label, es) in enumerate(chances):
        fig.add_trace(
            go.Bar(name=label, x=strategies, y=[_value(e) for e in es], error_y=_errors(es),
                   marker_color=colour(i), legendgroup="p", hovertemplate=label + " %{y:.3f}<extra></extra>"),
            row=1, col=1,
        )
    by_proposer = list(sim.strategies[0].histories_by_proposer_type) if sim.strategies and sim.proposer else []
    proposer = names_or_ids([sim.proposer], names)[0] if sim.proposer else ""
    for i, k in enumerate(by_proposer):
        label = f"P(signed | {proposer} is {k})"
        es = [s.signed_by_proposer_type[k] for s in sim.strategies]
        fig.add_trace(
            go.Bar(name=label, x=strategies, y=[_value(e) for e in es], error_y=_errors(es),
                   marker_color=colour(6 + i), legendgroup="p", hovertemplate=label + " %{y:.3f}<extra></extra>"),
            row=1, col=1,
        )
    parties = list(sim.strategies[0].expected_values) if sim.strategies else []
    for i, (p, label) in enumerate(zip(parties, names_or_ids(parties, names), strict=True)):
        es = [s.expected_values[p] for s in sim.strategies]
        fig.add_trace(
            go.Bar(name=f"value to {label}", x=strategies, y=[_value(e) for e in es], error_y=_errors(es),
                   marker_color=colour(i + 2), legendgroup="v",
                   hovertemplate=f"{label}: %{{y:.2f}}<extra></extra>"),
            row=1, col=2,
        )
    if reasons:
        for i, (key, label) in enumerate(NO_DEAL_LABELS.items()):
            es = [s.no_deal[key] for s in sim.strategies if key in s.no_deal]
            if len(es) != len(strategies) or not any(e.estimate for e in es):
                continue
            fig.add_trace(
                go.Bar(name=label, x=strategies, y=[_value(e) for e in es], error_y=_errors(es),
                       marker_color=colour(i + 4), legendgroup="r",
                       hovertemplate=label + " %{y:.3f}<extra></extra>"),
                row=1, col=3,
            )
        fig.update_yaxes(title="share of all histories", range=[0, 1.05], row=1, col=3)
        fig.update_xaxes(title="strategy", row=1, col=3)
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="probability", range=[0, 1.05], row=1, col=1)
    fig.update_yaxes(title="discounted value (the scenario's units)", row=1, col=2)
    fig.update_xaxes(title="strategy", row=1, col=1)
    fig.update_xaxes(title="strategy", row=1, col=2)
    state = "" if sim.complete else f", interrupted after {sim.completed} of {sim.samples}"
    return layout(
        fig, "Summit first or working level first: Monte Carlo outcomes per strategy", height=520, legend_below=True,
        subtitle=f"{sim.completed} histories per strategy on common random numbers (seed {sim.seed}{state}); "
        "error bars: 95% confidence intervals",
    )


def sobol_indices(sens: SensitivityResult) -> go.Figure:
    """Per metric, each varied parameter's share of the variance: first order S1 and total ST
    (Sobol), or mean absolute elementary effect μ* (Morris), with 95% confidence half-widths."""
    method = "Sobol' indices" if sens.method == "sobol" else "Morris elementary effects"
    if not sens.complete:
        return layout(note(go.Figure(), "Interrupted: indices need every point of the design."), method, 250)
    shown = [m for m in sens.metrics if not m.constant]
    constant = [m.metric for m in sens.metrics if m.constant]
    sub = f"N = {sens.samples}, {sens.points} points, seed {sens.seed}; error bars: 95% confidence"
    if constant:
        sub += "; constant over the ranges (no index): " + ", ".join(constant)
    if not shown:
        return layout(note(go.Figure(), "Every metric was constant over the ranges: no parameter moves it."),
                      f"{method} of {sens.scenario}", 280, sub)
    fig = make_subplots(rows=1, cols=len(shown), subplot_titles=[m.metric for m in shown], horizontal_spacing=0.08)
    series = (("first order S1", "s1", "s1_conf"), ("total ST", "st", "st_conf")) if sens.method == "sobol" else (
        ("μ*", "mu_star", "mu_star_conf"),
    )
    for c, m in enumerate(shown, start=1):
        params = [r.parameter for r in m.parameters]
        for i, (label, key, conf) in enumerate(series):
            fig.add_trace(
                go.Bar(
                    name=label, x=params, y=[getattr(r, key) for r in m.parameters],
                    error_y={"type": "data", "array": [getattr(r, conf) for r in m.parameters], "thickness": 1.5},
                    marker_color=colour(i), legendgroup=label, showlegend=c == 1,
                    hovertemplate=f"%{{x}}: {label} %{{y:.3f}}<extra></extra>",
                ),
                row=1, col=c,
            )
        fig.update_xaxes(title="parameter", row=1, col=c)
    fig.update_layout(barmode="group")
    axis = "share of the metric's variance" if sens.method == "sobol" else "μ* (metric units per unit of quantile)"
    fig.update_yaxes(title=axis, row=1, col=1)
    return layout(fig, f"Which uncertain numbers matter: {method}", height=460, subtitle=sub)
