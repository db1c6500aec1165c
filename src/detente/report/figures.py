"""Plotly figures of the analysis results: pure functions, no I/O, for the report and the web page.

Each function takes result objects (detente.results) and returns a ``plotly.graph_objects.Figure``;
the HTML report embeds them and ``detente serve`` draws ``fig.to_plotly_json()``. Party and move
labels come from the scenario when it is given (or from ``names``); the others show ids.
The Monte Carlo, Sobol and forecast figures live in sibling modules and are re-exported here.
"""

from __future__ import annotations

import datetime
import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from detente.report._style import (
    BAD,
    DIVERGING,
    GOOD,
    NEUTRAL,
    colour,
    esc,
    layout,
    names_or_ids,
    note,
    text_on,
    wrap,
)
from detente.report.forecast_figures import forecast_positions
from detente.report.uncertainty_figures import simulation_outcomes, sobol_indices
from detente.results import (
    Analysis,
    AuditResult,
    BeliefsResult,
    SensitivityResult,
    SignalsResult,
    SimulationResult,
    SolveResult,
)
from detente.scenario.model import Scenario

__all__ = [
    "analysis_figures",
    "belief_trajectories",
    "forecast_positions",
    "schedule_timeline",
    "signal_margins",
    "simulation_outcomes",
    "slack_heatmap",
    "sobol_indices",
    "values_vs_no_deal",
]


def party_names(scenario: Scenario) -> dict[str, str]:
    """Party id -> name, as written in the scenario (figures escape it where they show it)."""
    return {p.id: p.name for p in scenario.parties}


def _period(scenario: Scenario) -> str:
    return "" if scenario.period == "period" else f" (one stage = one {esc(scenario.period)})"


def schedule_timeline(solve: SolveResult, scenario: Scenario) -> go.Figure:
    """Who gives what, when: stages across, parties down, one block per party and stage."""
    fig = go.Figure()
    names = {p: esc(n) for p, n in party_names(scenario).items()}
    if not solve.deal or not solve.schedule:
        return layout(note(fig, wrap(solve.explanation, 90)), "No self-enforcing deal", height=300)
    stages = len(solve.schedule)
    for i, party in enumerate(scenario.parties):
        xs: list[float] = []
        bases: list[float] = []
        texts: list[str] = []
        data: list[list[object]] = []
        for k, stage in enumerate(solve.schedule, start=1):
            moves = [scenario.move(m) for m in stage if scenario.move(m).owner == party.id]
            if not moves:
                continue
            xs.append(0.92)
            bases.append(k - 0.46)
            bullet = "• " if len(moves) > 1 else ""
            texts.append("<br>".join(bullet + wrap(m.label, 16) for m in moves))
            data.append([k, ", ".join(m.id for m in moves), esc("; ".join(m.label for m in moves))])
        if not xs:
            continue
        fig.add_trace(
            go.Bar(
                name=names[party.id],
                orientation="h",
                y=[names[party.id]] * len(xs),
                x=xs,
                base=bases,
                text=texts,
                customdata=data,
                textposition="inside",
                insidetextanchor="middle",
                textfont={"size": 11, "color": text_on(i)},
                marker={"color": colour(i), "line": {"color": "white", "width": 1}},
                hovertemplate="stage %{customdata[0]}: " + names[party.id] + " gives %{customdata[2]}<extra></extra>",
            )
        )
    fig.update_layout(barmode="overlay", bargap=0.25)  # one block per party and stage, centred on its row
    fig.update_xaxes(
        title=f"stage{_period(scenario)}",
        tickvals=list(range(1, stages + 1)),
        range=[0.5, stages + 0.5],
        showgrid=False,
    )
    fig.update_yaxes(categoryorder="array", categoryarray=[names[p.id] for p in reversed(scenario.parties)])
    gains = ", ".join(f"{names[p]} +{g:.2f}" for p, g in (solve.gains or {}).items())
    return layout(
        fig,
        f"The self-enforcing deal: who gives what, stage by stage ({stages} stages)",
        height=170 + 110 * len(scenario.parties),
        subtitle=f"gains over no deal (discounted value, the scenario's units): {gains}",
    )


def _final_slacks(audit: AuditResult) -> dict[str, tuple[float | None, bool]]:
    out: dict[str, tuple[float | None, bool]] = {}
    for c in audit.final.checks:
        slack, holds = out.get(c.party, (None, True))
        if c.slack is not None and (slack is None or c.slack < slack):
            slack = c.slack
        out[c.party] = (slack, holds and c.holds)
    return out


def slack_heatmap(audit: AuditResult, title: str, names: dict[str, str] | None = None) -> go.Figure:
    """IC slack per stage and party (complying less the best deviation), the final agreement
    last; a cell where the party would deviate is marked ✗, "—": it has no deviation there.
    ``title`` is plain text (escaped here)."""
    parties = list(audit.disagreement)
    stages = len(audit.schedule)
    by = {(c.stage, c.party): c for c in audit.stages}
    final = _final_slacks(audit)
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for p in parties:
        row: list[float | None] = []
        cells: list[str] = []
        for k in range(1, stages + 1):
            c = by.get((k, p))
            row.append(None if c is None else c.slack)
            cells.append(_cell(None if c is None else c.slack, True if c is None else c.holds))
        slack, holds = final.get(p, (None, True))
        row.append(slack)
        cells.append(_cell(slack, holds))
        z.append(row)
        text.append(cells)
    finite = [abs(v) for row in z for v in row if v is not None and math.isfinite(v)]
    span = max(finite, default=1.0) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"stage {k}" for k in range(1, stages + 1)] + ["final agreement"],
            y=names_or_ids(parties, names),
            text=text,
            texttemplate="%{text}",
            textfont={"size": 13},
            colorscale=DIVERGING,
            zmid=0,
            zmin=-span,
            zmax=span,
            colorbar={"title": "slack"},
            xgap=2,
            ygap=2,
            hovertemplate="%{y}, %{x}: slack %{z:.2f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    verdict = "self-enforcing" if audit.self_enforcing_deal else "fails"
    return layout(
        fig,
        esc(title),
        height=180 + 70 * len(parties),
        subtitle=f"IC slack = value of complying − best deviation (discounted, the scenario's units); "
        f"✗: the party would deviate. Verdict: {verdict}",
    )


def _cell(slack: float | None, holds: bool) -> str:
    if slack is None:
        return "—" if holds else "✗"
    return f"{slack:.2f}" + ("" if holds else " ✗")


def values_vs_no_deal(solve: SolveResult, names: dict[str, str] | None = None) -> go.Figure:
    """Each party's value of the deal against no deal (and the deal if promises were enforceable)."""
    parties = list(solve.disagreement)
    labels = names_or_ids(parties, names)
    fig = go.Figure()
    fig.add_trace(
        go.Bar(name="no deal", x=labels, y=[solve.disagreement[p] for p in parties], marker_color=NEUTRAL,
               texttemplate="%{y:.2f}", textposition="outside")
    )
    if solve.values is not None:
        fig.add_trace(
            go.Bar(name="the self-enforcing deal", x=labels, y=[solve.values[p] for p in parties],
                   marker_color=GOOD, texttemplate="%{y:.2f}", textposition="outside")
        )
    bench = solve.if_enforceable
    if bench is not None:
        fig.add_trace(
            go.Bar(name="if promises were enforceable", x=labels, y=[bench.values[p] for p in parties],
                   marker_color=colour(1), texttemplate="%{y:.2f}", textposition="outside")
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="discounted value (the scenario's units)", zeroline=True)
    title = "Values of the final agreement against no deal" if solve.deal else "No self-enforcing deal: values without one"
    return layout(fig, title, subtitle="each party's own scale: compare within a party, not across")


def belief_trajectories(beliefs: BeliefsResult, names: dict[str, str] | None = None) -> go.Figure:
    """Each party's type probabilities after each dated event (a step at each event), from the
    prior; the events that moved beliefs most are labelled."""
    if not beliefs.parties:
        return layout(note(go.Figure(), "This scenario has no types, so no beliefs to update."), "Beliefs", 250)
    rows = len(beliefs.parties)
    # with two types one probability says it all: draw P(first type) only
    shown = {pb.party: pb.types[:1] if len(pb.types) == 2 else pb.types for pb in beliefs.parties}
    titles = [
        f"Beliefs about {names_or_ids([pb.party], names)[0]}"
        + (f": P({pb.types[0]}), against {pb.types[1]}" if len(shown[pb.party]) == 1 else "")
        for pb in beliefs.parties
    ]
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, subplot_titles=titles, vertical_spacing=0.12)
    dates = [datetime.date.fromisoformat(s.date) for pb in beliefs.parties for s in pb.steps]
    start = (min(dates) - datetime.timedelta(days=60)) if dates else datetime.date.today()
    colour_of: dict[str, str] = {}
    for r, pb in enumerate(beliefs.parties, start=1):
        for t in shown[pb.party]:
            colour_of.setdefault(t, colour(len(colour_of)))
            xs = [start.isoformat()] + [s.date for s in pb.steps]
            ys = [pb.prior[t]] + [s.posterior[t] for s in pb.steps]
            hover = ["prior"] + [f"{s.date}: {esc(s.label)}<br>moved {s.moved:.3f}" for s in pb.steps]
            fig.add_trace(
                go.Scatter(
                    x=xs, y=ys, name=f"P({t})", mode="lines+markers", line={"shape": "hv", "color": colour_of[t]},
                    hovertext=hover, hovertemplate="%{hovertext}<br>P(" + t + ") = %{y:.3f}<extra></extra>",
                    legendgroup=t,
                ),
                row=r, col=1,
            )
        first = pb.types[0]
        by_id = {s.event: s for s in pb.steps}
        for eid in pb.moved_most:
            s = by_id[eid]
            fig.add_annotation(
                x=s.date, y=s.posterior[first], text=wrap(s.label, 24), row=r, col=1, showarrow=True,
                arrowhead=2, ax=0, ay=-40 if s.posterior[first] < 0.6 else 40, font={"size": 10},
            )
        fig.add_annotation(x=start.isoformat(), y=pb.prior[first], text="prior", row=r, col=1, showarrow=False,
                           yshift=12, font={"size": 10})
        fig.update_yaxes(title="probability", range=[-0.05, 1.05], row=r, col=1)
    _dedupe_legend(fig)
    fig.update_layout(showlegend=any(len(ts) > 1 for ts in shown.values()))
    fig.update_xaxes(title="date of the event", row=rows, col=1)
    return layout(fig, "What each side should believe about the other's type, event by event",
                  height=120 + 300 * rows, subtitle="posterior after each dated event (hover for the event)")


def _dedupe_legend(fig: go.Figure) -> None:
    seen: set[str] = set()
    for tr in fig.data:
        tr.showlegend = tr.name not in seen
        seen.add(tr.name)


def signal_margins(signals: SignalsResult, names: dict[str, str] | None = None) -> go.Figure:
    """Per signal, each type's margin: how far its condition holds (> 0) or fails (< 0); a
    signal separates when the good type's and the other types' conditions all hold."""
    if not signals.signals:
        return layout(note(go.Figure(), "This scenario has no signals."), "Signals", 250)
    bars: list[tuple[str, str, float, bool]] = []  # (signal, type, margin, the good type)
    for v in signals.signals:
        verdict = "separates" if v.separates else "does not separate"
        head = f"{wrap(v.label, 34)}<br><i>{names_or_ids([v.sender], names)[0]}: {verdict}</i>"
        for good in (True, False):  # the good type first
            bars.extend((head, t + (" (good)" if good else ""), m, good)
                        for t, m in v.margins.items() if (t == v.good_type) == good)
    fig = go.Figure()
    # one trace per colour and hatching, so that the legend says what each means; a first,
    # empty trace holds the signals' order
    fig.add_trace(go.Bar(orientation="h", y=[[h for h, *_ in bars], [t for _, t, *_ in bars]], x=[0] * len(bars),
                         showlegend=False, hoverinfo="skip", marker={"color": "rgba(0,0,0,0)"}))
    for good in (True, False):
        for holds in (True, False):
            mine = [(h, t, m) for h, t, m, g in bars if g == good and _holds(m, g) == holds]
            if not mine:
                continue
            who = "the good type" if good else "the other types"
            fig.add_trace(
                go.Bar(
                    name=f"{who}: {'holds' if holds else 'fails'}", orientation="h",
                    y=[[h for h, _, _ in mine], [t for _, t, _ in mine]], x=[m for *_, m in mine],
                    marker={"color": GOOD if holds else BAD, "pattern": {"shape": "" if good else "/"},
                            "line": {"color": "black", "width": 0.5}},
                    texttemplate="%{x:.2f}", textposition="auto", cliponaxis=False,
                    hovertemplate="%{y}: margin %{x:.2f}<extra></extra>",
                )
            )
    margins = [m for *_, m, _ in bars]
    low, high = min(0.0, *margins), max(0.0, *margins)
    room = 0.12 * ((high - low) or 1.0)  # for the figures outside the bars
    fig.update_xaxes(range=[low - (room if low < 0 else 0.02 * room), high + room])
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title="margin (value units of the type's party; > 0: its condition holds)",
                     zeroline=True, zerolinecolor="black", zerolinewidth=2)
    fig.update_yaxes(autorange="reversed")
    skipped = [v.label or v.signal for v in signals.signals if not v.assessed]
    subtitle = (
        "blue: the condition holds, vermillion: it fails; solid: the good type, hatched: the others; "
        f"beliefs at the {signals.beliefs_at}"
    )
    if skipped:
        subtitle += "; not assessed under this protocol: " + "; ".join(esc(x) for x in skipped)
    return layout(fig, "Costly signals: does each separate the sender's good type?",
                  height=160 + 30 * sum(len(v.margins) for v in signals.signals),
                  subtitle=subtitle)


def _holds(margin: float, good: bool) -> bool:
    """A type's condition holds: the good type's margin is at least 0, another's above 0 (the
    tolerances of ``detente signals``)."""
    return margin >= -1e-9 if good else margin > 1e-9


def analysis_figures(
    analysis: Analysis,
    scenario: Scenario,
    beliefs: BeliefsResult | None,
    signals: SignalsResult | None,
    simulation: SimulationResult | None = None,
    sensitivity: SensitivityResult | None = None,
) -> dict[str, go.Figure]:
    """The standard set, keyed by stable names: "schedule", "slack", "slack:PROPOSAL_ID",
    "values", "beliefs", "signals" (and "simulation", "sensitivity" when given); figures with
    nothing to show are left out."""
    names = party_names(scenario)
    figs: dict[str, go.Figure] = {}
    solve = analysis.solve
    if solve.deal and solve.audit is not None:
        figs["schedule"] = schedule_timeline(solve, scenario)
        figs["slack"] = slack_heatmap(solve.audit, "IC slack of the solver's schedule, stage × party", names)
    for v in analysis.proposals:
        who = f" ({names.get(v.by, v.by)})" if v.by else ""
        title = f"IC slack of the proposal {v.label or v.proposal}{who}"
        figs[f"slack:{v.proposal}"] = slack_heatmap(v.audit, title, names)
    figs["values"] = values_vs_no_deal(solve, names)
    if beliefs is not None and beliefs.parties:
        figs["beliefs"] = belief_trajectories(beliefs, names)
    if signals is not None and signals.signals:
        figs["signals"] = signal_margins(signals, names)
    if simulation is not None:
        figs["simulation"] = simulation_outcomes(simulation, names)
    if sensitivity is not None:
        figs["sensitivity"] = sobol_indices(sensitivity)
    return figs
