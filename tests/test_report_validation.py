"""The report's tipping table and sweep map: the map's cells are the sweep's deals, the legend
names each deal, the sections are in the page, hostile labels stay text, and `detente report
--tipping --sweep` writes them (or refuses a bad range in one line)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import plotly.offline
import pytest

from detente import api
from detente.report.html import analysis_report
from detente.report.validation_figures import sweep_map
from test_tipping import TINY

HOSTILE = "</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report-validation")
    (path / "tiny.toml").write_text(TINY, encoding="utf-8")
    (path / "hostile.toml").write_text(TINY.replace('label = "A\'s favour"', f'label = "A\'s favour {HOSTILE}"'), encoding="utf-8")
    return path


def test_the_map_is_the_sweep(folder: Path) -> None:
    result = api.sweep_result(folder / "tiny.toml", ["w=0:4:1", "c=0:3:1"], workers=1)
    fig = sweep_map(result)
    heat = fig.data[0]
    letters = {d.text: d.letter for d in result.deals}
    by = {(float(r["w"]), float(r["c"])): letters[str(r["schedule"])] for r in result.rows}
    for i, w in enumerate([0.0, 1.0, 2.0, 3.0, 4.0]):  # the first parameter up the y axis
        for j, c in enumerate([0.0, 1.0, 2.0, 3.0]):
            assert heat.text[i][j] == by[(w, c)]
            assert result.deals[heat.z[i][j]].letter == by[(w, c)]
    legend = [t.name for t in fig.data[1:]]
    assert legend == [f"{d.letter} = {d.words} ({d.points} points)" for d in result.deals]
    assert legend[0].startswith("- = no self-enforcing deal")
    one = sweep_map(api.sweep_result(folder / "tiny.toml", ["w=0:4:2"], workers=1))
    assert [len(row) for row in one.data[0].z] == [3]  # one parameter: a single row


def test_sections_and_escaping(folder: Path) -> None:
    sc = api.load(folder / "hostile.toml")
    analysis = api.analyse(sc)
    tipping = api.tipping(sc, workers=1)
    sweep = api.sweep_result(sc, ["c=0:3:1"], workers=1)
    page = analysis_report(sc, analysis, None, None, None, None, None, tipping, sweep)
    page = page.replace(plotly.offline.get_plotlyjs(), "")
    assert "<h2>Tipping points</h2>" in page and "Which deal where: a sweep over c" in page
    assert "<h3>A self-enforcing deal exists</h3>" in page
    assert "<img" not in page and "&lt;img src=x" in page  # the label is shown as text
    assert page.lower().count("</script>") == page.lower().count("<script")


def test_cli_report_with_tipping_and_sweep(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    done = subprocess.run(
        [sys.executable, "-m", "detente.cli.app", "report", str(folder / "tiny.toml"), "-o", str(out),
         "--tipping", "--sweep", "w=0:4:1", "--sweep", "c=0:3:1", "--workers", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "Tipping points" in page and 'id="fig-sweep"' in page
    bad = subprocess.run(
        [sys.executable, "-m", "detente.cli.app", "report", str(folder / "tiny.toml"), "-o", str(out), "--sweep", "w=0:9:1"],
        capture_output=True, text=True, timeout=300,
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "axes: w=0:9:1: 5 is outside the parameter's domain [0, 4]" in bad.stderr
