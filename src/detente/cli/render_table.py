"""Tables that never cut a figure, at any terminal width.

A table's columns are of two kinds. Figure columns (``figure_column``: ``no_wrap``, right-justified
by default) hold numbers: a figure is never wrapped, folded or cut, so such a column is at least as
wide as its widest cell (its header may wrap). Label columns (``label_column``) hold words: they
wrap between words, and such a column is at least as wide as its longest word.

``show`` prints a table as rich lays it out when that keeps every column that wide. Otherwise it
sets the widths itself: the widest label columns give way first, then the figure columns'
headers, and last a label's long word breaks after a hyphen, comma, slash or equals sign that
follows a letter (``us-japan-`` / ``semiconductors-1986``; never inside a number or a date). Where even that is wider than the terminal, the table is printed
stacked: one block per row, a "label: value" line per cell. Nothing is ever shortened with an
ellipsis.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Column, Table
from rich.text import Text

__all__ = ["figure_column", "label_column", "show", "stacked"]

_WORD = re.compile(r"\S+")
# where a word may break if it must: after a hyphen, comma, slash or equals sign that follows a
# letter (so "us-japan-semiconductors-1986" and "samples=1000" may, "2019-12-31" and "-0.17" may not)
_BREAK = re.compile(r"(?<=[^\W\d_][-,/=])(?=\S)")


def figure_column(table: Table, header: str = "", **options: Any) -> None:
    """A column of numbers (right-justified unless ``justify`` says otherwise): never wrapped
    nor cut; its header may wrap."""
    table.add_column(header, **{"justify": "right", **options, "no_wrap": True, "overflow": "fold"})


def label_column(table: Table, header: str = "", **options: Any) -> None:
    """A column of words: they wrap between words (and, if they must, after a hyphen)."""
    table.add_column(header, overflow="fold", **options)


def show(console: Console, table: Table) -> None:
    """Print ``table`` within the console's width without cutting a cell (see the module)."""
    if _fit(console, table):
        console.print(table)
    else:
        stacked(console, table)


def _text(renderable: RenderableType) -> Text:
    if isinstance(renderable, Text):
        return renderable
    return Text.from_markup(renderable) if isinstance(renderable, str) else Text(str(renderable))


def _piece(text: str) -> int:
    """The longest stretch of ``text`` that cannot be broken (a word, or a piece of one)."""
    return max((len(p) for w in _WORD.findall(text) for p in _BREAK.split(w)), default=0)


def _bounds(console: Console, column: Column) -> tuple[int, int, int]:
    """A column's content widths, padding excluded: (the least that keeps every figure and word
    whole, the least that keeps every figure and piece of a word whole, the width it would like)."""
    options = console.options
    head = Measurement.get(console, options, column.header)
    floor, want = max(1, head.minimum), max(1, head.maximum)
    piece = floor
    for cell in column.cells:
        m = Measurement.get(console, options, cell)
        floor = max(floor, m.maximum if column.no_wrap else m.minimum)
        piece = max(piece, m.maximum if column.no_wrap else _piece(_text(cell).plain))
        want = max(want, m.maximum)
    if column.min_width is not None:
        floor = piece = max(floor, column.min_width)
    if column.max_width is not None:
        want = min(want, max(column.max_width, floor))
    return floor, min(piece, floor), max(want, floor)


def _fit(console: Console, table: Table) -> bool:
    """Leave rich's layout where it cuts nothing, else set the columns' widths; False if the
    table cannot fit at all (it is then printed stacked)."""
    if not table.columns:
        return True
    for column in table.columns:
        column.overflow = "fold"  # never "…": a layout that would cut is replaced below
        if column.no_wrap and isinstance(column.header, str):  # a figure column's header wraps
            column.header = Text.from_markup(column.header, justify=column.justify, overflow="fold")
            column.header.no_wrap = False
    width = (console.options.max_width if table.width is None else table.width) - table._extra_width
    pads = [table._get_padding_width(i) for i in range(len(table.columns))]
    bounds = [_bounds(console, c) for c in table.columns]
    floors = [f for f, _, _ in bounds]
    pieces = [p for _, p, _ in bounds]
    given = table._calculate_column_widths(console, console.options.update_width(width))
    if sum(given) <= width and all(g - p >= f for g, p, f in zip(given, pads, floors, strict=True)):
        return True
    room = width - sum(pads)
    if sum(pieces) > room:
        return False
    flexible = table.expand and any(c.ratio for c in table.columns)
    widths = [f if flexible and c.ratio else w for c, (f, _, w) in zip(table.columns, bounds, strict=True)]
    every = range(len(widths))
    labels = [i for i in every if not table.columns[i].no_wrap]
    for shrinkable, least in ((labels, floors), (every, floors), (labels, pieces)):
        while sum(widths) > room:  # the widest gives way first
            free = [i for i in shrinkable if widths[i] > least[i]]
            if not free:
                break
            widths[max(free, key=lambda i: widths[i])] -= 1
    if flexible:  # the room left goes to the ratio columns, in proportion to their ratios
        ratio = {i: c.ratio for i, c in enumerate(table.columns) if c.ratio}
        while sum(widths) < room:
            widths[min(ratio, key=lambda i: widths[i] / ratio[i])] += 1
    for column, w, floor in zip(table.columns, widths, floors, strict=True):
        column.width = w
        column.ratio = None
        column.min_width = column.max_width = None
        if w < floor:
            column._cells = [_broken(_text(cell), w) for cell in column.cells]
    table.expand = False
    return True


def _broken(text: Text, width: int) -> Text:
    """``text`` with line breaks inside each word longer than ``width``, where it may break."""
    breaks: list[int] = []
    for word in _WORD.finditer(text.plain):
        if len(word.group()) <= width:
            continue
        start = line = word.start()
        for piece in _BREAK.split(word.group()):
            end = start + len(piece)
            if end - line > width and start > line:
                breaks.append(start)
                line = start
            start = end
    if not breaks:
        return text
    return Text("\n").join(text.divide(breaks))


def stacked(console: Console, table: Table) -> None:
    """One block per row: the first cell as its heading (with its header when it is a figure),
    then a "label: value" line per other non-empty cell; a row whose first cell is empty
    continues the block above it."""
    heads = [_text(c.header).plain for c in table.columns]
    indent = 2 + max(len(h) + 1 for h in heads)
    rows = list(zip(*(list(c.cells) for c in table.columns), strict=True))
    blocks: list[tuple[RenderableType, list[tuple[str, RenderableType]]]] = []
    for row in rows:
        first = _text(row[0])
        if first.plain.strip() or not blocks:
            name = table.columns[0].no_wrap and heads[0]
            blocks.append((Text.assemble(f"{heads[0]}: ", first) if name else row[0], []))
        blocks[-1][1].extend(
            (f"  {head}:" if head else "", cell)
            for head, cell in zip(heads[1:], row[1:], strict=True)
            if _text(cell).plain.strip()
        )
    if table.title:
        console.print(table.title)
    for n, (heading, lines) in enumerate(blocks):
        if n:
            console.print()
        console.print(heading)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, min_width=indent)
        grid.add_column(overflow="fold")
        for label, cell in lines:
            grid.add_row(label, cell)
        console.print(grid)
    if table.caption:
        console.print(table.caption)
