"""Results in a notebook: HTML tables (escaped) and DataFrames; the how-to's script runs."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pandas as pd

import detente
from detente.scenario import load_bytes
from test_worked_example import WORKED

ROOT = Path(__file__).resolve().parents[1]


def test_every_result_type_renders_and_flattens() -> None:
    sc = load_bytes(WORKED, "worked.toml")
    audit = detente.audit(sc, stages=[["a1"], ["b2"], ["b1"]])
    frame = audit.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["party"]) == ["a", "b", "a", "b", "a", "b"]
    assert frame["comply"].iloc[0] == audit.stages[0].comply
    html = audit._repr_html_()
    assert html.startswith("<b>AuditResult</b>") and html.count("<table>") >= 2
    solve = detente.solve(sc)
    assert isinstance(solve.to_frame(), pd.DataFrame)
    assert "<b>SolveResult</b>" in solve._repr_html_()


def test_labels_are_escaped() -> None:
    hostile = WORKED.replace(b'label = "b1"', b'label = "<script>alert(1)</script>"').replace(
        b"reversal_cost = 0.5\n", b"reversal_cost = 0.5\nreversal_lag = 2\n"
    )
    sc = load_bytes(hostile, "hostile.toml")
    html = detente.audit(sc, stages=[["a1", "b1", "b2"]])._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_the_how_to_script_runs(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    text = (ROOT / "docs" / "howto" / "use-in-a-notebook.md").read_text()
    match = re.search(r"<!-- script: [^>]+ -->\n```python\n(.*?)```", text, re.S)
    assert match is not None
    script = tmp_path / "notebook_example.py"
    script.write_text(match.group(1))
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert "slack" in out and "p_deal" in out
