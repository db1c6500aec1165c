"""One self-contained HTML report: plotly.js embedded once, every figure inline, no network.

All text from scenario files goes through ``html.escape``; the figures' JSON is written by
plotly, which escapes ``<``, ``>`` and ``/`` inside its script tags, so a label holding
``</script>`` cannot end them. Sources are shown as text, never as links: the page loads nothing.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence

import plotly.graph_objects as go
import plotly.io as pio
import plotly.offline

from detente import __version__
from detente.report.figures import (
    analysis_figures,
    forecast_positions,
    party_names,
)
from detente.results import (
    Analysis,
    BeliefsResult,
    SensitivityResult,
    SignalsResult,
    SimulationResult,
    SweepResult,
    TippingResult,
)
from detente.scenario.model import Scenario
from detente.smp import ForecastResult

_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
.meta { color: #666; } table { border-collapse: collapse; margin: 1em 0; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; } .ok { color: #0072B2; font-weight: bold; }
.fails { color: #D55E00; font-weight: bold; } .figure { margin: 1em 0 2em 0; }
.note { color: #555; font-size: 0.92em; }
"""

_CONFIG = {"displaylogo": False, "responsive": True}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _figure(key: str, fig: go.Figure) -> str:
    div_id = "fig-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key)
    inner = pio.to_html(fig, full_html=False, include_plotlyjs=False, config=_CONFIG, div_id=div_id)
    return f'<div class="figure">{inner}</div>'


def _page(title: str, body: Iterable[str]) -> str:
    js = plotly.offline.get_plotlyjs()
    if "</script" in js.lower():  # cannot happen with plotly's bundle; never emit a broken page
        raise ValueError("the plotly.js bundle holds '</script'; it cannot be inlined")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_STYLE}</style>",
            f'<script type="text/javascript">{js}</script>',
            "</head><body>",
            *body,
            f'<p class="note">Made by detente {_e(__version__)}. This file is self-contained: it works offline.</p>',
            "</body></html>",
            "",
        ]
    )


def _table(head: list[str], rows: Iterable[list[str]], numeric: set[int] | None = None) -> str:
    """Cells are HTML already (callers escape text)."""
    numeric = numeric or set()
    out = ["<table><thead><tr>", *(f"<th>{h}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        cells = (f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _summary(scenario: Scenario, analysis: Analysis) -> list[str]:
    names = party_names(scenario)
    spec = scenario.spec
    period = "" if analysis.period == "period" else f"; one period = one {_e(analysis.period)}"
    out = [
        f"<h1>{_e(analysis.title)}</h1>",
        f'<p class="meta">scenario {_e(analysis.scenario)} ({_e(scenario.origin)}){period}</p>',
    ]
    if spec is not None and spec.scenario.description:
        out.append(f"<p>{_e(spec.scenario.description)}</p>")
    in_effect = ", ".join(
        f"{_e(scenario.move(m).label)} ({_e(names[scenario.move(m).owner])})" for m in analysis.status_quo
    )
    out.append(f"<p><b>Status quo</b>: in effect: {in_effect or 'nothing'}.</p>")
    if analysis.parameters:
        rows = []
        for name, value in analysis.parameters.items():
            p = spec.parameters.get(name) if spec is not None else None
            note = _e(p.note) if p is not None else ""
            source = _e(p.source) if p is not None and p.source else ""
            rows.append([f"<code>{_e(name)}</code>", f"{value:g}", note, source])
        out += ["<h2>Parameters</h2>", _table(["parameter", "value", "why", "source"], rows, {1})]
    if scenario.sources:
        out.append("<h2>Sources</h2><ul>" + "".join(f"<li>{_e(s)}</li>" for s in scenario.sources) + "</ul>")
    return out


def _verdict(ok: bool, yes: str, no: str) -> str:
    return f'<span class="ok">{yes}</span>' if ok else f'<span class="fails">{no}</span>'


def _schedule_text(schedule: list[list[str]] | None, labels: Mapping[str, str]) -> str:
    if not schedule:
        return "no offer"
    return " → ".join(" + ".join(labels.get(m, m) for m in stage) for stage in schedule)


def _offers_section(analysis: Analysis, names: Mapping[str, str]) -> list[str]:
    """The offers game: each proposer type's opening, what a refusal teaches, and the path
    against each responder type, meeting by meeting."""
    off = analysis.offers
    assert off is not None
    p, r = names.get(off.proposer, off.proposer), names.get(off.responder, off.responder)
    out = [
        f"<h2>Offers: {_e(p)} proposes, {_e(r)} answers</h2>",
        f'<p class="note">{off.rounds} meetings, {off.round_length} period(s) apart; beliefs at the '
        f"{_e(off.beliefs_at)}; over {off.offers_considered} candidate schedules ({_e(off.candidates)}).</p>",
    ]
    rows = []
    for view in sorted(off.by_proposer_type, key=lambda v: -v.probability):
        for prop in view.proposals:
            out.append(f"<p>{_e(prop.sentence)}</p>")
            break
        for path in view.paths:
            for m in path.meetings:
                rows.append([
                    _e(f"{view.proposer_type or '—'} / {path.responder_type or '—'}"),
                    f"{view.probability * path.probability:.2f}",
                    str(m.meeting),
                    _e(m.sentence),
                ])
            rows.append(["", "", "", f"<i>{_e(path.sentence)}</i> "
                         + _e(", ".join(f"{names.get(q, q)} {v:.2f}" for q, v in path.values.items()))])
        delay = "" if view.expected_delay is None else f", after {view.expected_delay:.1f} periods on average"
        who = p if view.proposer_type is None else f"{p} as {view.proposer_type}"
        out.append(f"<p>{_e(who)}: a deal with probability {view.p_deal:.2f}{_e(delay)}. {_e(view.label)}.</p>")
    out.append(_table([f"{_e(p)} / {_e(r)}", "P", "meeting", "what happens"], rows, {1, 2}))
    return out


def analysis_report(
    scenario: Scenario,
    analysis: Analysis,
    beliefs: BeliefsResult | None = None,
    signals: SignalsResult | None = None,
    simulation: SimulationResult | None = None,
    sensitivity: SensitivityResult | None = None,
    figs: Mapping[str, go.Figure] | None = None,
    tipping: TippingResult | None = None,
    sweep: SweepResult | None = None,
) -> str:
    """The report of a bilateral scenario: what ``detente run`` says, as text and charts
    (``figs``: ``analysis_figures`` of the same results, when the caller has them already),
    with the tipping points and a sweep's region map when given."""
    names = party_names(scenario)
    if figs is None:
        figs = analysis_figures(analysis, scenario, beliefs, signals, simulation, sensitivity)
    solve = analysis.solve
    body = _summary(scenario, analysis)
    if analysis.beliefs:
        body.append(
            "<p><b>Beliefs after the timeline</b>: "
            + _e("; ".join(f"{names.get(p, p)}: " + ", ".join(f"{t} {q:.2f}" for t, q in b.items()) for p, b in analysis.beliefs.items()))
            + ".</p>"
        )
    if analysis.proposals:
        rows = [
            [_e(v.label or v.proposal), _e(names.get(v.by or "", v.by or "")),
             _verdict(v.audit.self_enforcing_deal, "self-enforcing", "fails"), _e(v.audit.reason),
             _e(v.audit.play.sentence)]
            for v in analysis.proposals
        ]
        body += ["<h2>Proposals on the table</h2>",
                 _table(["proposal", "by", "verdict", "why", "played out (anyone quits where quitting pays)"], rows)]
    if analysis.offers is not None:
        body += _offers_section(analysis, names)
    title = "The deal with complete information (benchmark)" if analysis.offers is not None else "The solver's deal"
    body += [f"<h2>{title}</h2>", f"<p>{_e(solve.explanation)}</p>"]
    if solve.binding:
        body.append("<p><b>What binds</b> (the tightest constraints):</p><ul>")
        body += [f"<li>{_e(b.sentence)}</li>" for b in solve.binding]
        body.append("</ul>")
    for key in ("schedule", "slack", "values"):
        if key in figs:
            body.append(_figure(key, figs[key]))
    proposal_figs = [k for k in figs if k.startswith("slack:")]
    if proposal_figs:
        body.append("<h2>The proposals, stage by stage</h2>")
        body += [_figure(k, figs[k]) for k in proposal_figs]
    if analysis.robust:
        body.append("<h2>Against the wrong type</h2><ul>")
        body += [f"<li>At the {_e(d.beliefs_at)}: {_e(d.result.explanation)}</li>" for d in analysis.robust]
        body.append("</ul>")
    if "beliefs" in figs and beliefs is not None:
        body += ["<h2>What each side should believe</h2>", _figure("beliefs", figs["beliefs"])]
        rows = [
            [_e(names.get(pb.party, pb.party)),
             _e(", ".join(f"{t} {p:.2f}" for t, p in pb.prior.items())),
             _e(", ".join(f"{t} {p:.2f}" for t, p in pb.final.items())),
             _e("; ".join(s.label for s in pb.steps if s.event in pb.moved_most))]
            for pb in beliefs.parties
        ]
        body.append(_table(["about", "prior", "after the events", "the events that moved it most"], rows))
    if "signals" in figs and signals is not None:
        body += ["<h2>Which signals are the right ones</h2>", _figure("signals", figs["signals"]), "<ul>"]
        body += [
            f"<li>{_e(v.sentence)}" + (f" {_e(v.pooling.sentence)}" if v.pooling is not None else "") + "</li>"
            for v in signals.signals
        ]
        body.append("</ul>")
    if simulation is not None:
        body += ["<h2>Summit first, or working level first?</h2>", _figure("simulation", figs["simulation"])]
        body.append(f'<p class="note">{_e(simulation.executor)}, {simulation.seconds:.1f} s.</p>')
    if sensitivity is not None:
        varied = ", ".join(f"{v.parameter} ({v.distribution})" for v in sensitivity.varied)
        body += ["<h2>Which uncertain numbers matter?</h2>", _figure("sensitivity", figs["sensitivity"]),
                 f'<p class="note">Varied over their [uncertainty] distributions: {_e(varied)}.</p>']
    if tipping is not None:
        body += tipping_section(tipping)
    if sweep is not None:
        body += sweep_section(sweep, figs.get("sweep"))
    return _page(f"{analysis.title}: detente report", body)


def forecast_report(fc: ForecastResult, figs: Sequence[go.Figure] | None = None) -> str:
    """The report of a multi-actor forecast: positions turn by turn per dimension, the final
    positions, and why each actor moved (``figs``: ``forecast_positions(fc)``, if at hand)."""
    how = "converged" if fc.converged else "stopped at the turn limit"
    body = [
        f"<h1>{_e(fc.scenario)}</h1>",
        f'<p class="meta">{len(fc.actors)} actors, {len(fc.dimensions)} dimensions; {fc.turns_run} turns ({how}). '
        "KTAB's spatial model of politics, default configuration; positions on 0-100.</p>",
    ]
    if fc.description:
        body.append(f"<p>{_e(fc.description)}</p>")
    if figs is None:
        figs = forecast_positions(fc)
    final = fc.final_positions()
    win = fc.winning_probabilities[-1]
    for k, (dim, fig) in enumerate(zip(fc.dimensions, figs, strict=True)):
        body += [f"<h2>{_e(dim)}</h2>", _figure(f"forecast-{k}", fig)]
    rows = [
        [_e(a)]
        + [f"{100 * fc.positions[0][i][k]:.1f} → {100 * final[i][k]:.1f}" for k in range(len(fc.dimensions))]
        + [f"{win[i]:.2f}"]
        for i, a in enumerate(fc.actors)
    ]
    head = ["actor"] + [f"{_e(d)}: start → final" for d in fc.dimensions] + ["P(wins)"]
    body += ["<h2>Final positions</h2>", _table(head, rows, set(range(1, len(head))))]
    body.append(
        '<p class="note">P(wins): the chance that the actor\'s final position wins a Condorcet election '
        "over the final positions (actors at the same position share it).</p>"
    )
    if fc.why:
        body.append("<h2>Why each actor moved</h2><ul>")
        body += [f"<li>{_e(w.sentence)}</li>" for w in fc.why]
        body.append("</ul>")
    return _page(f"{fc.scenario}: detente forecast report", body)


def tipping_section(tipping: TippingResult) -> list[str]:
    """The tipping points (docs/model.md, "Tipping points, sweeps and comparisons"): per verdict,
    every flip found, and the parameters along which it does not flip."""
    out = [
        "<h2>Tipping points</h2>",
        f"<p>For each verdict, the nearest value of each parameter at which it flips: a grid of "
        f"{tipping.steps} steps across each parameter's range from its value outward, then bisection "
        f"to {tipping.precision:g} of the range; every point is an exact solve.</p>",
    ]
    ranges = {r.parameter: r for r in tipping.parameters}
    for v in tipping.verdicts:
        points = [p for p in tipping.points if p.verdict == v.verdict]
        rows = [
            [f"<code>{_e(p.parameter)}</code>", f"{p.value:g}", _e(p.direction), f"{p.flip:.6g}",
             f"{p.change:+.6g}" + ("" if p.relative is None else f" ({p.relative:+.0%})"), _e(p.after or "")]
            for p in points
            if p.flip is not None and p.change is not None
        ]
        out.append(f"<h3>{_e(v.question[0].upper() + v.question[1:])}</h3><p>Now: {_e(v.now)}.</p>")
        if rows:
            out.append(_table(["parameter", "now", "direction", "flips at", "change", "then"], rows, {1, 3, 4}))
        steady: dict[str, list[str]] = {}
        for p in points:
            if p.flip is None:
                steady.setdefault(p.parameter, []).append(p.direction)
        if steady:
            text = ", ".join(n if len(ds) == 2 else f"{n} ({ds[0]})" for n, ds in steady.items())
            out.append(f'<p class="note">No flip within the range: {_e(text)}.</p>')
    out.append(
        '<p class="note">Ranges: '
        + _e("; ".join(f"{r.parameter} {r.basis}" for r in ranges.values()))
        + ". " + _e(" ".join(tipping.notes)) + f" {tipping.evaluations} points solved.</p>"
    )
    return out


def sweep_section(sweep: SweepResult, fig: go.Figure | None) -> list[str]:
    """A sweep's region map (which deal where) and its deals in words."""
    names = " and ".join(a.parameter for a in sweep.axes)
    out = [f"<h2>Which deal where: a sweep over {_e(names)}</h2>"]
    if fig is not None:
        out.append(_figure("sweep", fig))
    out.append("<ul>" + "".join(
        f"<li><b>{_e(d.letter)}</b>: {_e(d.words)} ({d.points} of {len(sweep.rows)} points)</li>" for d in sweep.deals
    ) + "</ul>")
    return out

