"""The figure of a sweep (docs/model.md, "Tipping points, sweeps and comparisons"): which deal
where, one colour per deal and a legend naming each, for the report and the web page."""

from __future__ import annotations

import plotly.graph_objects as go

from detente.report._style import NEUTRAL, colour, esc, layout, wrap
from detente.results import SweepResult


def sweep_map(result: SweepResult) -> go.Figure:
    """A categorical map of the Nash deal over the grid: the first parameter up the y axis (a
    single row for a one-parameter sweep), the second across; a legend entry per deal, in words."""
    deals = result.deals
    index = {d.text: i for i, d in enumerate(deals)}
    colours = [NEUTRAL if d.letter == "-" else colour(i) for i, d in enumerate(deals)]
    first = result.axes[0]
    two = len(result.axes) == 2
    if two:
        second = result.axes[1]
        xs, ys = second.values, first.values
        cell = {(float(r[first.parameter]), float(r[second.parameter])): r for r in result.rows}
        rows = [[cell[(y, x)] for x in xs] for y in ys]
    else:
        xs, ys = first.values, [0.0]
        rows = [list(result.rows)]
    z = [[index[str(r["schedule"])] for r in row] for row in rows]
    text = [[next(d.letter for d in deals if d.text == str(r["schedule"])) for r in row] for row in rows]
    n = max(len(deals), 1)
    scale = []
    for i, c in enumerate(colours):  # a step per deal: z = i falls in [i/n, (i + 1)/n]
        scale += [[i / n, c], [(i + 1) / n, c]]
    fig = go.Figure(
        go.Heatmap(
            z=z, x=[f"{x:g}" for x in xs], y=[f"{y:g}" for y in ys] if two else [""], text=text,
            texttemplate="%{text}", zmin=-0.5, zmax=n - 0.5, colorscale=scale if n > 1 else [[0, colours[0]], [1, colours[0]]],
            showscale=False, xgap=1, ygap=1,
            hovertemplate=(f"{esc(first.parameter)} %{{y}}, {esc(second.parameter)} %{{x}}: deal %{{text}}<extra></extra>"
                           if two else f"{esc(first.parameter)} %{{x}}: deal %{{text}}<extra></extra>"),
        )
    )
    for d, c in zip(deals, colours, strict=True):  # the legend: one entry per deal, in words
        fig.add_trace(
            go.Scatter(
                x=[None], y=[None], mode="markers", marker={"symbol": "square", "size": 14, "color": c},
                name=f"{d.letter} = {wrap(d.words, 60)} ({d.points} points)", showlegend=True,
            )
        )
    fig.update_xaxes(title=esc(result.axes[-1].parameter), type="category")
    fig.update_yaxes(title=esc(first.parameter) if two else "", type="category", showticklabels=two)
    names = " and ".join(esc(a.parameter) for a in result.axes)
    return layout(
        fig,
        f"Which deal where: the self-enforcing deal over {names}",
        height=(260 + 28 * len(ys) if two else 260) + 40 * len(deals),
        subtitle=f"{len(result.rows)} points, each an exact solve; -: no self-enforcing deal",
        legend_below=True,
    )
