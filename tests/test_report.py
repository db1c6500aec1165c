"""detente report: the figures say what the results say, the HTML file is self-contained and
safe against hostile scenario text, the charts export as PNG/SVG, and the CLI around it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import plotly.offline
import pytest
from typer.testing import CliRunner

from detente import api
from detente.cli.app import app
from detente.errors import DetenteError
from detente.report._style import BAD, GOOD, SUBTITLE_WIDTH, TITLE_WIDTH
from detente.report.figures import (
    analysis_figures,
    belief_trajectories,
    forecast_positions,
    schedule_timeline,
    signal_margins,
    simulation_outcomes,
    slack_heatmap,
    sobol_indices,
    values_vs_no_deal,
)
from detente.report.html import analysis_report, forecast_report
from detente.results import Analysis, BeliefsResult, SignalsResult
from detente.scenario import library
from detente.scenario.loader import load_bytes
from detente.scenario.model import Scenario
from test_worked_example import WORKED

BUNDLE = plotly.offline.get_plotlyjs()
HOSTILE = "<script>alert(1)</script>"
BREAKOUT = "</script><img src=x onerror=alert(2)>"
CHROMIUM = shutil.which("chromium") or (Path("/usr/bin/chromium").is_file() and "/usr/bin/chromium")
runner = CliRunner()


@pytest.fixture(scope="module")
def hanoi() -> tuple[Scenario, Analysis, BeliefsResult, SignalsResult]:
    sc = api.load("hanoi-2019")
    return sc, api.analyse(sc), api.beliefs(sc), api.signals(sc)


def test_timeline_shows_each_move_in_its_stage_and_party(hanoi) -> None:  # type: ignore[no-untyped-def]
    sc, analysis, _, _ = hanoi
    fig = schedule_timeline(analysis.solve, sc)
    shown = {
        (tr.name, int(cd[0]), m)
        for tr in fig.data
        for cd in tr.customdata
        for m in cd[1].split(", ")
    }
    expected = {
        (sc.party(sc.move(m).owner).name, k, m)
        for k, stage in enumerate(analysis.solve.schedule, start=1)
        for m in stage
    }
    assert shown == expected and len(expected) == sum(len(s) for s in analysis.solve.schedule)
    for tr in fig.data:  # each block sits on its stage and names the moves' labels
        for base, cd, text in zip(tr.base, tr.customdata, tr.text, strict=True):
            assert base < cd[0] < base + 1
            for m in cd[1].split(", "):
                assert sc.move(m).label.split()[0] in text
    assert "stage" in fig.layout.xaxis.title.text and "quarter" in fig.layout.xaxis.title.text


def test_heatmap_is_the_audits_slack_with_failures_marked(hanoi) -> None:  # type: ignore[no-untyped-def]
    sc, analysis, _, _ = hanoi
    for audit in [analysis.solve.audit] + [v.audit for v in analysis.proposals]:
        assert audit is not None
        (hm,) = slack_heatmap(audit, "t").data
        parties = list(audit.disagreement)
        assert list(hm.x) == [f"stage {k}" for k in range(1, len(audit.schedule) + 1)] + ["final agreement"]
        for c in audit.stages:
            row, col = parties.index(c.party), c.stage - 1
            assert hm.z[row][col] == c.slack
            assert ("✗" in hm.text[row][col]) == (not c.holds)
        for i, p in enumerate(parties):
            checks = [c for c in audit.final.checks if c.party == p]
            assert hm.z[i][-1] == min(c.slack for c in checks if c.slack is not None)
            assert ("✗" in hm.text[i][-1]) == (not all(c.holds for c in checks))
    big = next(v.audit for v in analysis.proposals if v.proposal == "us-big-deal")
    assert any("✗" in cell for row in slack_heatmap(big, "t").data[0].text for cell in row)


def test_values_against_no_deal(hanoi) -> None:  # type: ignore[no-untyped-def]
    sc, analysis, _, _ = hanoi
    solve = analysis.solve
    fig = values_vs_no_deal(solve, {p.id: p.name for p in sc.parties})
    bars = {tr.name: dict(zip(tr.x, tr.y, strict=True)) for tr in fig.data}
    assert bars["no deal"] == {sc.party(p).name: v for p, v in solve.disagreement.items()}
    assert solve.values is not None
    assert bars["the self-enforcing deal"] == {sc.party(p).name: v for p, v in solve.values.items()}
    assert "discounted value" in fig.layout.yaxis.title.text


def test_beliefs_end_at_the_final_posteriors(hanoi) -> None:  # type: ignore[no-untyped-def]
    _, _, beliefs, _ = hanoi
    fig = belief_trajectories(beliefs)
    assert len(fig.data) == len(beliefs.parties)  # two types each: P(first type) says it all
    for tr, pb in zip(fig.data, beliefs.parties, strict=True):
        t = tr.name[2:-1]
        assert t == pb.types[0]
        assert tr.y[0] == pb.prior[t] and tr.y[-1] == pytest.approx(pb.final[t])
        assert list(tr.x[1:]) == [s.date for s in pb.steps]
    annotated = {a.text.replace("<br>", " ") for a in fig.layout.annotations}
    for pb in beliefs.parties:  # the events that moved beliefs most are labelled
        for s in pb.steps:
            if s.event in pb.moved_most:
                assert s.label in annotated


def test_signal_margins(hanoi) -> None:  # type: ignore[no-untyped-def]
    _, _, _, signals = hanoi
    fig = signal_margins(signals)
    shown = {(outer.split("<br>")[0][:10], inner.split(" ")[0]): x for tr in fig.data
             for outer, inner, x in zip(tr.y[0], tr.y[1], tr.x, strict=True)}
    assert len(shown) == sum(len(v.margins) for v in signals.signals)
    for v in signals.signals:
        for t, m in v.margins.items():
            assert shown[(v.label[:10], t)] == m
    heads = {outer for tr in fig.data for outer in tr.y[0]}
    for v in signals.signals:  # each assessed signal's verdict is in its row label
        if not v.assessed:
            continue
        (head,) = [h for h in heads if h.startswith(v.label[:10])]
        assert head.endswith("separates</i>" if v.separates else "does not separate</i>")
        assert ": separates" in head if v.separates else True


def test_signal_legend_says_what_the_subtitle_says(hanoi) -> None:  # type: ignore[no-untyped-def]
    """Each legend entry is one colour and one hatching: blue holds, vermillion fails; solid the
    good type, hatched the others (the subtitle's words)."""
    fig = signal_margins(hanoi[3])
    assert "blue: the condition holds, vermillion: it fails; solid: the good type, hatched: the others" in (
        fig.layout.title.text
    )
    entries = [tr for tr in fig.data if tr.showlegend is not False]
    assert {tr.name for tr in entries} >= {"the good type: holds", "the other types: holds", "the good type: fails"}
    for tr in entries:
        who, verdict = tr.name.split(": ")
        assert tr.marker.color == (GOOD if verdict == "holds" else BAD)  # one colour, never a list
        assert (tr.marker.pattern.shape == "") == (who == "the good type")
        assert all((x >= -1e-9 if who == "the good type" else x > 1e-9) == (verdict == "holds") for x in tr.x)
        assert all(inner.endswith(" (good)") == (who == "the good type") for inner in tr.y[1])


def test_titles_and_subtitles_wrap(hanoi) -> None:  # type: ignore[no-untyped-def]
    """No title line longer than TITLE_WIDTH, no subtitle line longer than SUBTITLE_WIDTH
    characters (a 700-pixel chart shows them whole), and nothing but whole words moves."""
    sc, analysis, beliefs, signals = hanoi
    for name, fig in analysis_figures(analysis, sc, beliefs, signals).items():
        lines = fig.layout.title.text.split("<br>")
        for line in lines:
            plain = re.sub(r"<[^>]+>", "", line)
            assert len(plain) <= (SUBTITLE_WIDTH if line.startswith("<sup>") else TITLE_WIDTH), (name, line)
            assert line.count("<sup>") == line.count("</sup>") <= 1, (name, line)
    long = slack_heatmap(analysis.proposals[1].audit, "x " * 60)
    assert [len(line) for line in long.layout.title.text.split("<br>")][:2] == [79, 39]
    assert long.layout.margin.t > slack_heatmap(analysis.proposals[1].audit, "x").layout.margin.t


def test_standard_set_and_no_empty_charts(hanoi) -> None:  # type: ignore[no-untyped-def]
    sc, analysis, beliefs, signals = hanoi
    figs = analysis_figures(analysis, sc, beliefs, signals)
    assert list(figs) == ["schedule", "slack", "slack:dprk-hanoi-offer", "slack:us-big-deal", "values", "beliefs", "signals"]
    worked = load_bytes(WORKED, "worked.toml")
    plain = analysis_figures(api.analyse(worked), worked, api.beliefs(worked), api.signals(worked))
    assert list(plain) == ["schedule", "slack", "values"]
    for fig in figs.values():
        assert fig.to_plotly_json()["data"]  # what the web page draws


def test_simulation_and_sobol_figures(hanoi) -> None:  # type: ignore[no-untyped-def]
    sc = hanoi[0]
    sim = api.simulate(sc, 16, seed=1, workers=1)
    fig = simulation_outcomes(sim)
    signed = next(tr for tr in fig.data if tr.name == "P(signed by the horizon)")
    assert list(signed.x) == [s.strategy for s in sim.strategies]
    assert list(signed.y) == [s.p_signed.estimate for s in sim.strategies]
    sens = api.sensitivity(sc, metrics="nash-product", samples=4, workers=1)
    fig = sobol_indices(sens)
    (metric,) = sens.metrics
    st = next(tr for tr in fig.data if tr.name == "total ST")
    assert list(st.x) == [r.parameter for r in metric.parameters]
    assert list(st.y) == [r.st for r in metric.parameters]


def test_forecast_positions() -> None:
    fc = api.forecast("korea-six-party-2019")
    figs = forecast_positions(fc)
    assert len(figs) == len(fc.dimensions)
    for k, fig in enumerate(figs):
        assert [tr.name for tr in fig.data] == fc.actors
        for a, tr in enumerate(fig.data):
            assert list(tr.y) == [100 * state[a][k] for state in fc.positions]
        labels = " ".join(a.text for a in fig.layout.annotations)
        for a, actor in enumerate(fc.actors):
            assert f"{100 * fc.positions[-1][a][k]:.1f}" in labels and actor in labels
    page = forecast_report(fc)
    _assert_self_contained(page)
    assert all(w.sentence.split(" moved")[0] in page for w in fc.why)
    assert "Final positions" in page


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "action", "data")]


def _assert_self_contained(page: str) -> str:
    """The page holds plotly.js once, loads nothing, and outside the bundle names no URL."""
    assert page.count(BUNDLE) == 1
    tags = _Tags()
    tags.feed(page)
    assert tags.urls == []
    rest = page.replace(BUNDLE, "")
    assert not re.search(r"https?://", rest)
    return rest


def test_report_is_self_contained(hanoi) -> None:  # type: ignore[no-untyped-def]
    sc, analysis, beliefs, signals = hanoi
    page = analysis_report(sc, analysis, beliefs, signals)
    rest = _assert_self_contained(page)
    assert rest.count("Plotly.newPlot(") == 7
    assert analysis.solve.explanation in page.replace("&#x27;", "'")
    assert all(s.replace("'", "&#x27;") in page for s in sc.sources)
    assert "leakage" in page and "judgement" in page  # parameters with their notes


def _hostile() -> bytes:
    text = library.read_bytes("hanoi-2019").decode()
    for old, new in (
        ('title = "US–DPRK after', f'title = "{HOSTILE} US–DPRK after'),
        ('name = "United States"', f'name = "United States {HOSTILE}"'),
        ('label = "Freeze Yongbyon"', f'label = "Freeze Yongbyon {BREAKOUT}"'),
        ('"President Trump, press conference in Hanoi, 28 February 2019",', f'"{BREAKOUT}",'),
        ('period = "quarter (three months)"', f'period = "quarter {HOSTILE}"'),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    text = re.sub(r'(\[\[events\]\]\nid = "[^"]+"\n(?:[^\n]*\n)*?label = ")', r"\1" + BREAKOUT.replace("\\", "\\\\") + " ", text, count=1)
    text = re.sub(r'(\[\[signals\]\]\n(?:[^\n]*\n)*?label = ")', r"\1" + HOSTILE + " ", text, count=1)
    return text.encode()


def test_scenario_text_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "hostile.toml"
    path.write_bytes(_hostile())
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    rest = _assert_self_contained(page)
    tags = _Tags()
    tags.feed(page)
    assert tags.scripts == 1 + 7  # the bundle and one per chart: no label opened a script
    assert rest.lower().count("</script>") == 1 + 7  # and none closed one early
    assert "<img" not in rest.lower() and "alert(1)</script>" not in rest
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rest  # shown, as text
    sc = api.load(str(path))
    figs = analysis_figures(api.analyse(sc), sc, api.beliefs(sc), api.signals(sc))
    for key, fig in figs.items():  # plotly.js reads tags in labels: they reach it as entities
        blob = fig.to_json()
        assert "<script>" not in blob and "</script>" not in blob and "<img" not in blob, key


@pytest.mark.skipif(not CHROMIUM, reason="PNG/SVG export needs /usr/bin/chromium, absent here")
def test_figures_export_png_and_svg(tmp_path: Path) -> None:
    for fmt in ("png", "svg"):
        result = runner.invoke(
            app, ["report", "-o", str(tmp_path / "r.html"), "--figures", str(tmp_path / fmt), "--format", fmt]
        )
        assert result.exit_code == 0, result.output
        files = sorted((tmp_path / fmt).iterdir())
        assert [f.name for f in files] == sorted(
            f"{k}.{fmt}" for k in ("schedule", "slack", "slack-dprk-hanoi-offer", "slack-us-big-deal", "values", "beliefs", "signals")
        )
        for f in files:
            head = f.read_bytes()[:200]
            assert head.startswith(b"\x89PNG\r\n\x1a\n") if fmt == "png" else b"<svg" in head


def test_cli_report_with_simulation_and_sensitivity(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(
        app, ["report", "hanoi-2019", "-o", str(out), "--simulate", "8", "--sensitivity", "4", "--seed", "3", "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "9 charts" in result.output
    page = out.read_text(encoding="utf-8")
    assert "Monte Carlo outcomes per strategy" in page and "Sobol" in page
    _assert_self_contained(page)


def test_cli_forecast_report(tmp_path: Path) -> None:
    out = tmp_path / "f.html"
    result = runner.invoke(app, ["report", "korea-six-party-2019", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "Why each actor moved" in page and "China" in page
    assert page.count("Plotly.newPlot(") == 2


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--simulate", "0"], "--simulate: must be at least 1"),
        (["korea-six-party-2019", "--simulate", "5"], "applies to a bilateral scenario"),
        (["--format", "svg"], "--format: applies to --figures"),
        (["no-such-scenario"], "no such file or library scenario"),
        (["-o", "/nonexistent-dir/r.html"], "cannot write"),
    ],
)
def test_cli_errors_are_one_line(args: list[str], fragment: str) -> None:
    result = runner.invoke(app, ["report", *args])
    assert isinstance(result.exception, DetenteError)
    assert fragment in str(result.exception)
    assert "\n" not in str(result.exception)


def test_cli_error_exits_2_without_traceback(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "detente.cli.app", "report", "--sensitivity", "0", "-o", str(tmp_path / "r.html")],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 2
    assert out.stderr == "error: hanoi-2019: --sensitivity: must be at least 1, got 0\n"
    assert not (tmp_path / "r.html").exists()
