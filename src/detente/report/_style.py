"""Shared look of the report's figures: a colour-blind-safe palette and the base layout."""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence

import plotly.graph_objects as go

# Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies.
PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",  # black
)
GOOD = "#0072B2"  # a condition that holds
BAD = "#D55E00"  # a condition that fails
NEUTRAL = "#999999"  # no deal, baselines
# Diverging, centred on 0 by zmid: vermillion (fails) through white to blue (holds), safe for
# red-green deficiencies.
DIVERGING = [[0.0, BAD], [0.5, "#F7F7F7"], [1.0, GOOD]]


_LIGHT = {"#E69F00", "#56B4E9", "#F0E442"}


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def text_on(i: int) -> str:
    """Black text on the light colours of the palette, white on the dark ones (contrast)."""
    return "black" if colour(i) in _LIGHT else "white"


def esc(text: str) -> str:
    """Scenario text as plotly shows it literally: plotly.js reads tags (<b>, <a href>) in
    labels, so ``<``, ``>`` and ``&`` become entities, which it renders as the characters."""
    return html.escape(text, quote=False)


def wrap(text: str, width: int = 22) -> str:
    """Escaped text with line breaks, for labels inside a chart (plotly does not wrap)."""
    return "<br>".join(esc(line) for line in textwrap.wrap(text, width)) or esc(text)


# the widest lines a 700-pixel chart (plotly's default width, a narrow page) shows whole: the title
# at its size, the subtitle in <sup>; longer lines wrap between words
TITLE_WIDTH = 80
SUBTITLE_WIDTH = 110
_LINE = 22  # pixels a subtitle line takes


def _lines(text: str, width: int) -> list[str]:
    """``text`` (escaped, ``<br>`` for line breaks) in lines of at most ``width`` characters
    (a longer word, or an entity, is never split)."""
    return [w for line in text.split("<br>") for w in textwrap.wrap(line, width, break_long_words=False) or [line]]


def layout(
    fig: go.Figure, title: str, height: int = 450, subtitle: str = "", legend_below: bool = False
) -> go.Figure:
    """The common title, font, margins and background, so every figure reads the same. A long
    title or subtitle wraps between words; the top margin (and the figure) grows to hold it."""
    heads = _lines(title, TITLE_WIDTH)
    subs = _lines(subtitle, SUBTITLE_WIDTH) if subtitle else []
    text = "<br>".join(heads + [f"<sup>{line}</sup>" for line in subs])
    extra = 22 * (len(heads) - 1) + _LINE * max(len(subs) - 1, 0)
    fig.update_layout(
        title={"text": text, "x": 0.01, "xanchor": "left", "y": 1.0, "yanchor": "top", "yref": "container",
               "pad": {"t": 18}},
        template="plotly_white",
        font={"family": "Helvetica, Arial, sans-serif", "size": 13},
        height=height + extra,
        margin={"l": 70, "r": 30, "t": (90 if subtitle else 70) + extra, "b": 110 if legend_below else 60},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0.0}
        if legend_below
        else {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "right", "x": 1.0},
    )
    return fig


def note(fig: go.Figure, text: str) -> go.Figure:
    """A figure that says in words why there is nothing to draw (never an empty chart)."""
    fig.add_annotation(
        text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font={"size": 15}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def names_or_ids(ids: Sequence[str], names: dict[str, str] | None) -> list[str]:
    return [esc((names or {}).get(i, i)) for i in ids]
