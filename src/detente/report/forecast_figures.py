"""Figures of a multi-actor forecast (KTAB's spatial model of politics, detente forecast)."""

from __future__ import annotations

import plotly.graph_objects as go

from detente.report._style import colour, esc, layout
from detente.smp import ForecastResult

DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")  # overlapping lines stay apart


def forecast_positions(fc: ForecastResult) -> list[go.Figure]:
    """One line chart per dimension: each actor's position (0-100) from the input state to the
    last, turn by turn, with its final position labelled at the right."""
    states = list(range(len(fc.positions)))
    figs: list[go.Figure] = []
    for k, dim in enumerate(fc.dimensions):
        fig = go.Figure()
        for a, actor in enumerate(fc.actors):
            ys = [100 * fc.positions[t][a][k] for t in states]
            fig.add_trace(
                go.Scatter(
                    x=states, y=ys, name=esc(actor), mode="lines+markers",
                    line={"color": colour(a), "width": 2.5, "dash": DASHES[a % len(DASHES)]},
                    hovertemplate=esc(actor) + ", state %{x}: %{y:.1f}<extra></extra>",
                )
            )
        ends: dict[float, list[str]] = {}  # actors that end together share one label
        for a, actor in enumerate(fc.actors):
            ends.setdefault(round(100 * fc.positions[-1][a][k], 1), []).append(esc(actor))
        for y, who in ends.items():
            fig.add_annotation(
                x=states[-1], y=y, text=f"{', '.join(who)}: {y:.1f}", xanchor="left", xshift=8,
                showarrow=False, font={"size": 11},
            )
        fig.update_xaxes(
            title="turn (0: the input positions)", tickvals=states, range=[-0.2, states[-1] + 0.2],
        )
        fig.update_yaxes(title="position on the dimension (0-100)", range=[-3, 103])
        how = "converged" if fc.converged else "stopped at the turn limit"
        figs.append(
            layout(fig, f"{esc(dim)}: positions turn by turn", height=500, legend_below=True,
                   subtitle=f"{esc(fc.scenario)}: {len(fc.actors)} actors, {fc.turns_run} turns ({how}); "
                   "final positions labelled at the right")
        )
        fig.update_layout(margin={"r": 230, "b": 130}, legend={"y": -0.2})
    return figs
