"""Results in a notebook: every result renders as an HTML table in Jupyter and turns into a
pandas DataFrame, so an analyst can go from `detente.solve(...)` to a plot or a merge in one line.

``Result`` is the base class of every result model. ``_repr_html_`` shows its plain fields, then
each table-like field (a list of records, or a mapping) as a table of its first rows; all text is
escaped. ``to_frame()`` flattens the result's main table (its ``_frame`` field, by default the first
list of records) with ``pandas.json_normalize``: nested fields become dotted columns.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

if TYPE_CHECKING:
    import pandas as pd

ROWS = 20  # rows shown per table in a notebook


def _cell(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, list) and all(isinstance(v, list) for v in value):
        text = " → ".join(", ".join(map(str, stage)) for stage in value)
    elif isinstance(value, dict | list):
        text = str(value)
        if len(text) > 120:
            text = text[:117] + "..."
    else:
        text = str(value)
    return html.escape(text)


def _records(value: Any) -> list[dict[str, Any]] | None:
    """A list of models or of dicts as records; a dict of scalars as one-row records."""
    if isinstance(value, list) and value and all(isinstance(v, BaseModel | dict) for v in value):
        return [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    if isinstance(value, dict) and value and all(not isinstance(v, dict | list | BaseModel) for v in value.values()):
        return [{"key": k, "value": v} for k, v in value.items()]
    return None


def _shown(value: Any) -> bool:
    """A column worth a cell: a scalar, or a schedule (a list of lists)."""
    if isinstance(value, list):
        return all(isinstance(x, list) for x in value)
    return not isinstance(value, dict)


def _table(records: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for r in records[:ROWS]:
        for k, v in r.items():
            if k not in columns and _shown(v):
                columns.append(k)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(r.get(c, ''))}</td>" for c in columns) + "</tr>" for r in records[:ROWS]
    )
    more = f"<tr><td colspan={len(columns)}>… {len(records) - ROWS} more</td></tr>" if len(records) > ROWS else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}{more}</tbody></table>"


class Result(BaseModel):
    """The base of every result: an HTML view for notebooks and a DataFrame."""

    _frame: ClassVar[str | None] = None  # the field ``to_frame`` tabulates (default: the first list of records)

    def _repr_html_(self) -> str:
        data = self.model_dump(mode="json")
        plain = [(k, v) for k, v in data.items() if _records(v) is None and not isinstance(v, dict | list)]
        parts = [f"<b>{html.escape(type(self).__name__)}</b>"]
        if plain:
            parts.append(
                "<table><tbody>"
                + "".join(f"<tr><th>{html.escape(k)}</th><td>{_cell(v)}</td></tr>" for k, v in plain)
                + "</tbody></table>"
            )
        for key, value in data.items():
            records = _records(value)
            if records:
                parts.append(f"<p><i>{html.escape(key)}</i></p>" + _table(records))
        return "\n".join(parts)

    def to_frame(self) -> pd.DataFrame:
        """The main table as a DataFrame (pandas is imported only when asked)."""
        import pandas as pd

        data = self.model_dump(mode="json")
        name = self._frame
        if name is None:
            name = next((k for k, v in data.items() if _records(v) is not None and isinstance(v, list)), None)
        if name is None:  # nothing tabular: one row of the plain fields
            return pd.json_normalize([{k: v for k, v in data.items() if not isinstance(v, list)}])
        return pd.json_normalize(data[name])
