"""Reading KTAB's SMP input CSV (the format of examples/smp/doc in the KTAB repository).

Line 1: ``scenario name, description, #actors, #dimensions``; line 2: a header
``Actor, Description, Influence, <dim 1> Position, <dim 1> Salience, ...``; then one line per
actor ``name, description, capability, position_1, salience_1, ..., position_D, salience_D``
with positions and saliences on 0-100. Trailing commas and spaces (as KTAB writes them) are
ignored. Every problem raises :class:`detente.errors.ScenarioError` naming the row (the file's
line number, from 1) and, where there is one, the column (from 1).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from detente.errors import ScenarioError
from detente.smp.model import FArr

#: tolerance on "saliences sum to at most 100" (KTAB's inputs are typed to one decimal)
SALIENCE_SUM_TOL = 1e-6


@dataclass(frozen=True)
class SmpInput:
    """One SMP scenario, on the model's 0-1 scale.

    ``capability`` (N,), ``position`` and ``salience`` (N, D); each actor's saliences sum to at
    most 1. Construct directly (arrays are checked) or with :func:`read_ktab_csv`.
    """

    name: str
    description: str
    actor_names: list[str]
    actor_descriptions: list[str]
    dimension_names: list[str]
    capability: FArr
    position: FArr
    salience: FArr
    source: str = field(default="<input>", compare=False)

    def __post_init__(self) -> None:
        src = self.source
        cap = np.asarray(self.capability, dtype=np.float64)
        pos = np.asarray(self.position, dtype=np.float64)
        sal = np.asarray(self.salience, dtype=np.float64)
        n = len(self.actor_names)
        if n < 2:
            raise ScenarioError(src, "actors", f"need at least 2 actors, got {n}")
        d = len(self.dimension_names)
        if d < 1:
            raise ScenarioError(src, "dimensions", "need at least 1 dimension")
        if len(self.actor_descriptions) != n:
            raise ScenarioError(
                src, "actor_descriptions", f"expected {n}, got {len(self.actor_descriptions)}"
            )
        if cap.shape != (n,):
            raise ScenarioError(src, "capability", f"expected shape ({n},), got {cap.shape}")
        for key, arr in (("position", pos), ("salience", sal)):
            if arr.shape != (n, d):
                raise ScenarioError(src, key, f"expected shape ({n}, {d}), got {arr.shape}")
        for key, arr in (("capability", cap), ("position", pos), ("salience", sal)):
            if not np.all(np.isfinite(arr)):
                raise ScenarioError(src, key, "must be finite numbers")
        if np.any(cap < 0):
            i = int(np.flatnonzero(cap < 0)[0])
            raise ScenarioError(src, f"capability[{i}]", f"{cap[i]:g} is negative")
        for key, arr in (("position", pos), ("salience", sal)):
            bad = np.argwhere((arr < 0) | (arr > 1))
            if bad.size:
                i, k = (int(v) for v in bad[0])
                raise ScenarioError(src, f"{key}[{i}, {k}]", f"{arr[i, k]:g} is outside [0, 1]")
        tot = sal.sum(axis=1)
        if np.any(tot > 1 + SALIENCE_SUM_TOL):
            i = int(np.flatnonzero(tot > 1 + SALIENCE_SUM_TOL)[0])
            raise ScenarioError(src, f"salience[{i}]", f"saliences sum to {tot[i]:g} > 1")
        object.__setattr__(self, "capability", cap)
        object.__setattr__(self, "position", pos)
        object.__setattr__(self, "salience", sal)

    @property
    def n_actors(self) -> int:
        return len(self.actor_names)

    @property
    def n_dimensions(self) -> int:
        return len(self.dimension_names)


def _trim(cells: list[str]) -> list[str]:
    """Strip each cell; drop trailing empty cells (KTAB ends its lines with ', ')."""
    out = [c.strip() for c in cells]
    while out and out[-1] == "":
        out.pop()
    return out


def _number(source: str, row: int, col: int, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(
            source, f"row {row}, column {col}", f"{what} {text!r} is not a number"
        ) from None
    if not math.isfinite(value):
        raise ScenarioError(source, f"row {row}, column {col}", f"{what} {text!r} is not finite")
    return value


def _count(source: str, col: int, text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ScenarioError(
            source, f"row 1, column {col}", f"{what} {text!r} is not a whole number"
        ) from None
    return value


def parse_ktab_csv(text: str, source: str = "<string>") -> SmpInput:
    """Parse the text of a KTAB SMP CSV; see the module docstring for the format."""
    lines = text.splitlines()
    while lines and lines[-1].strip() == "":
        lines.pop()
    try:
        rows = [_trim(cells) for cells in csv.reader(io.StringIO("\n".join(lines)), strict=True)]
    except csv.Error as exc:
        raise ScenarioError(source, "", f"malformed CSV: {exc}") from None
    if len(rows) < 2:
        raise ScenarioError(
            source, f"row {len(rows) + 1}", "missing (need a scenario line and a header line)"
        )
    first = rows[0]
    if len(first) != 4:
        raise ScenarioError(
            source,
            "row 1",
            f"expected 4 columns (name, description, #actors, #dimensions), found {len(first)}",
        )
    n_act = _count(source, 3, first[2], "number of actors")
    n_dim = _count(source, 4, first[3], "number of dimensions")
    if n_act < 2:
        raise ScenarioError(source, "row 1, column 3", f"need at least 2 actors, got {n_act}")
    if n_dim < 1:
        raise ScenarioError(source, "row 1, column 4", f"need at least 1 dimension, got {n_dim}")
    width = 3 + 2 * n_dim
    header = rows[1]
    if len(header) != width:
        raise ScenarioError(
            source, "row 2", f"expected {width} columns for {n_dim} dimensions, found {len(header)}"
        )
    dim_names = [header[3 + 2 * k] for k in range(n_dim)]
    body = rows[2:]
    if len(body) != n_act:
        raise ScenarioError(
            source,
            f"row {3 + min(len(body), n_act)}",
            f"expected {n_act} actor rows (line 1 says so), found {len(body)}",
        )
    names: list[str] = []
    descs: list[str] = []
    cap = np.empty(n_act)
    pos = np.empty((n_act, n_dim))
    sal = np.empty((n_act, n_dim))
    for a, cells in enumerate(body):
        row = a + 3
        if len(cells) != width:
            raise ScenarioError(
                source, f"row {row}", f"expected {width} columns, found {len(cells)}"
            )
        if cells[0] == "":
            raise ScenarioError(source, f"row {row}, column 1", "actor name is empty")
        names.append(cells[0])
        descs.append(cells[1])
        cap[a] = _number(source, row, 3, cells[2], "capability")
        if cap[a] < 0:
            raise ScenarioError(
                source, f"row {row}, column 3", f"capability {cells[2]} is negative"
            )
        for k in range(n_dim):
            for off, what, dest in ((0, "position", pos), (1, "salience", sal)):
                col = 4 + 2 * k + off
                v = _number(source, row, col, cells[col - 1], what)
                if not 0.0 <= v <= 100.0:
                    raise ScenarioError(
                        source,
                        f"row {row}, column {col}",
                        f"{what} {cells[col - 1]} is outside [0, 100]",
                    )
                dest[a, k] = v / 100.0
        total = float(sal[a].sum())
        if total > 1.0 + SALIENCE_SUM_TOL:
            cols = ", ".join(str(5 + 2 * k) for k in range(n_dim))
            raise ScenarioError(
                source, f"row {row}, columns {cols}", f"saliences sum to {100 * total:g} > 100"
            )
    return SmpInput(
        name=first[0],
        description=first[1],
        actor_names=names,
        actor_descriptions=descs,
        dimension_names=dim_names,
        capability=cap,
        position=pos,
        salience=sal,
        source=source,
    )


def read_ktab_csv(path: str | Path) -> SmpInput:
    """Read a KTAB SMP CSV file (UTF-8, a byte-order mark allowed)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ScenarioError(str(p), "", f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            str(p), "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    return parse_ktab_csv(text, str(p))
