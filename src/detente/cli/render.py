"""Rich views of the analysis results: thin, over the same objects as ``--json``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from detente.cli.render_table import figure_column, label_column, show

if TYPE_CHECKING:
    from detente import Scenario
    from detente.results import (
        Analysis,
        AuditResult,
        BeliefsResult,
        ForecastResult,
        MetricSensitivity,
        OffersResult,
        RobustSolveResult,
        ScreeningResult,
        SensitivityResult,
        SignalsResult,
        SimulationResult,
        SolveResult,
    )



def _names(scenario: Scenario) -> dict[str, str]:
    return {p.id: p.name for p in scenario.parties}


def _labels(scenario: Scenario) -> dict[str, str]:
    return {m.id: m.label for m in scenario.moves}


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _slack(x: float | None) -> Text:
    if x is None:
        return Text("—", style="dim")
    style = "red" if x < -1e-9 else ("yellow" if x < 0.5 else "green")
    return Text(f"{x:.2f}", style=style)


def analysis(console: Console, scenario: Scenario, result: Analysis) -> None:
    """``detente run``: the seed's questions in order, the complete-information deal last."""
    names = _names(scenario)
    labels = _labels(scenario)
    period = "" if result.period == "period" else f"; one period = one {result.period}"
    console.print(f"[bold]{result.title}[/bold]  [dim]({result.scenario}{period})[/dim]")
    in_effect = ", ".join(f"{labels[m]} ({names[scenario.move(m).owner]})" for m in result.status_quo) or "nothing"
    console.print(f"[bold]Status quo:[/bold] in effect: {in_effect}.")
    dis = result.solve.disagreement
    lost = result.no_deal_reversals
    survive = (
        "Without a deal, all of it survives"
        if not lost
        else "Without a deal, these would not survive: " + ", ".join(labels[m] for m in lost)
    )
    console.print(f"  {survive}; no-deal values: " + ", ".join(f"{names[p]} {v:.2f}" for p, v in dis.items()) + ".")
    if result.beliefs:
        console.print(
            "[bold]Beliefs after the timeline[/bold] (detente beliefs): "
            + "; ".join(f"{names[p]}: " + ", ".join(f"{t} {q:.2f}" for t, q in b.items()) for p, b in result.beliefs.items())
            + "."
        )
    if result.offers is None:
        _proposals_table(console, scenario, result, "Proposals on the table")
        solution(console, scenario, result.solve)
        if result.robust:
            against_types(console, scenario, result)
        if result.signals is not None:
            _signals_table(console, scenario, result)
        return
    _proposals_table(console, scenario, result, "1 · Why the offers on the table failed")
    _openings(console, scenario, result)
    _offers_paths(console, scenario, result)
    if result.signals is not None:
        _signals_table(console, scenario, result)
    console.print(
        "[bold]5 · Benchmark: the deal with complete information[/bold] (the Nash product at the base numbers; "
        "no side's beliefs change it)"
    )
    solution(console, scenario, result.solve)


def _proposals_table(console: Console, scenario: Scenario, result: Analysis, title: str) -> None:
    names = _names(scenario)
    if not result.proposals:
        return
    table = Table(title=title, title_justify="left", show_lines=True, expand=True)
    label_column(table, "proposal", ratio=1)
    label_column(table, "verdict")
    label_column(table, "why", ratio=3)
    for v in result.proposals:
        ok = v.audit.self_enforcing_deal
        verdict = Text("self-enforcing", style="green") if ok else Text("fails", style="red")
        who = f" ({names.get(v.by, v.by)})" if v.by else ""
        why = v.audit.reason
        play = v.audit.play
        if not ok and play.ends_at is not None:
            when = "after the last stage" if play.ends_at > len(v.audit.schedule) else f"at stage {play.ends_at}"
            quitters = " and ".join(names[q] for q in play.quitters)
            why += f" Played out, {quitters} {'quit' if len(play.quitters) > 1 else 'quits'} {when}."
        table.add_row(f"{v.proposal}{who}", verdict, why)
    show(console, table)


def _openings(console: Console, scenario: Scenario, result: Analysis) -> None:
    """What the proposer's opening was optimal against, and what a refusal teaches it."""
    assert result.offers is not None
    names = _names(scenario)
    off = result.offers
    p, r = names[off.proposer], names[off.responder]
    console.print(f"[bold]2 · What {p}'s opening was optimal against, and what a refusal teaches it[/bold]")
    views = sorted(off.by_proposer_type, key=lambda v: -v.probability)
    main = views[0]
    for prop in main.proposals:
        if scenario.proposal(prop.proposal).by == off.proposer:
            console.print(f"  • {prop.sentence}")
    for view in views:
        who = p if view.proposer_type is None else f"{p} as {view.proposer_type} ({view.probability:.2f})"
        if view.opening is None:
            console.print(f"  • {who} makes no opening offer.")
            continue
        takers = " and ".join(f"the {t}" for t in view.opening_takers) or "no type of"
        text = f"  • {who} opens with {_schedule_words(scenario, view.opening)}; {takers} {r} would take it"
        b = next((x for x in view.opening_against if x.type in view.opening_takers and len(view.opening_takers) == 1), None)
        if b is not None:
            text += f". It opens so while it puts between {b.low:.2f} and {b.high:.2f} on {r} being {b.type}"
        refusal = _first_refusal(view)
        if refusal:
            text += f". {refusal}"
        console.print(text + ".")


def _first_refusal(view: object) -> str:
    for path in getattr(view, "paths", []):
        m = path.meetings[0]
        if not m.accepted and m.belief_after:
            after = ", ".join(f"{t} {q:.2f}" for t, q in m.belief_after.items())
            return f"A refusal teaches it that it faces {' or '.join(f'the {t}' for t in m.belief_after)} {''} type ({after})".replace("  ", " ")
    return ""


def _schedule_words(scenario: Scenario, schedule: list[list[str]]) -> str:
    names = _names(scenario)
    labels = _labels(scenario)
    stages = []
    for k, stage in enumerate(schedule, start=1):
        parts = []
        for party in scenario.parties:
            mine = [labels[m] for m in stage if scenario.move(m).owner == party.id]
            if mine:
                parts.append(f"{names[party.id]}: " + ", ".join(mine))
        stages.append(("" if len(schedule) == 1 else f"({k}) ") + "; ".join(parts))
    return " → ".join(stages) or "nothing"


def _offers_paths(console: Console, scenario: Scenario, result: Analysis) -> None:
    assert result.offers is not None
    names = _names(scenario)
    off = result.offers
    p, r = off.proposer, off.responder
    console.print(
        f"[bold]3 · The deal that follows[/bold] (offers: {names[p]} proposes, {off.rounds} meetings "
        f"{off.round_length} period{'s' if off.round_length != 1 else ''} apart, over {off.offers_considered} candidate schedules; "
        "`detente offers` shows every meeting)"
    )
    table = Table(title_justify="left", expand=True)
    label_column(table, f"{names[p]} / {names[r]}")
    figure_column(table, "P")
    label_column(table, "what happens", ratio=1)
    figure_column(table, p)
    figure_column(table, r)
    for view in sorted(off.by_proposer_type, key=lambda v: -v.probability):
        for path in view.paths:
            table.add_row(
                f"{view.proposer_type or '—'} / {path.responder_type or '—'}",
                f"{view.probability * path.probability:.2f}",
                _path_words(scenario, view, path),
                f"{path.values[p]:.2f}",
                f"{path.values[r]:.2f}",
            )
    show(console, table)
    for view in sorted(off.by_proposer_type, key=lambda v: -v.probability):
        who = names[p] if view.proposer_type is None else f"{names[p]} as {view.proposer_type}"
        delay = "" if view.expected_delay is None else f", after {view.expected_delay:.1f} periods on average"
        console.print(
            f"  {who}: a deal with probability {view.p_deal:.2f}{delay}; expected "
            + ", ".join(f"{names[q]} {v:.2f} (no deal {view.disagreement[q]:.2f})" for q, v in view.expected_values.items())
            + f". [dim]{view.label[0].upper()}{view.label[1:]}.[/dim]"
        )


def _path_words(scenario: Scenario, view: object, path: object) -> str:
    """One path in a line: which offer the true type takes, and when."""
    meetings = getattr(path, "meetings", [])
    opening = getattr(view, "opening", None)
    parts = []
    for m in meetings:
        if m.offer is None:
            parts.append(f"meeting {m.meeting}: no offer")
        elif m.offer == opening and m.meeting == 1:
            parts.append("takes the opening" if m.accepted else "refuses the opening")
        else:
            verb = "takes" if m.accepted else "refuses"
            parts.append(f"meeting {m.meeting} ({m.period} periods on): {verb} {_schedule_words(scenario, m.offer)}")
    text = "; ".join(parts)
    if getattr(path, "deal", None) is None:
        text += "; no deal"
    play = getattr(path, "play", None)
    if play is not None and play.ends_at is not None:
        text += f"; then {' and '.join(_names(scenario)[q] for q in play.quitters)} quits at stage {play.ends_at}"
    return text


def _signals_table(console: Console, scenario: Scenario, result: Analysis) -> None:
    assert result.signals is not None
    names = _names(scenario)
    table = Table(
        title=f"{'4 · ' if result.offers is not None else ''}Which signals are the right ones (at the posterior; detente signals)",
        title_justify="left",
        show_lines=True,
        expand=True,
    )
    label_column(table, "signal", ratio=2)
    label_column(table, "verdict")
    label_column(table, "why", ratio=4)
    for v in result.signals.signals:
        if not v.assessed:
            verdict = Text("not assessed", style="dim")
        elif v.separates:
            verdict = Text("separates", style="green")
        else:
            verdict = Text("does not", style="yellow")
        why = v.sentence.split(") ", 1)[1] if ") " in v.sentence and v.assessed else v.sentence.split(": ", 1)[-1]
        why = why[0].upper() + why[1:]
        if v.pooling is not None:
            why += " " + v.pooling.sentence
        table.add_row(f"{v.label or v.signal} ({names[v.sender]})", verdict, why)
    show(console, table)


def solution(console: Console, scenario: Scenario, result: SolveResult) -> None:
    names = _names(scenario)
    if not result.deal or result.audit is None:
        console.print(f"[bold red]{result.explanation}[/bold red]")
        if result.if_enforceable is not None:
            console.print("[bold]What binds in the best deal if promises were enforceable:[/bold]")
            for f in result.if_enforceable.failures[:4]:
                console.print(f"  • {f.sentence}")
        return
    schedule_table(console, scenario, result.audit, title="The self-enforcing deal (solver's schedule)")
    table = Table(title="Values (discounted, from the start)", title_justify="left")
    label_column(table, "party")
    figure_column(table, "no deal")
    figure_column(table, "deal")
    figure_column(table, "gain")
    figure_column(table, "if enforceable")
    figure_column(table, "bargaining power")
    bench = result.if_enforceable
    for p, d in result.disagreement.items():
        v = (result.values or {}).get(p)
        g = (result.gains or {}).get(p)
        table.add_row(
            names[p],
            _fmt(d),
            _fmt(v),
            _fmt(g),
            _fmt(bench.values.get(p) if bench else None),
            f"{result.bargaining_power[p]:.2f}",
        )
    show(console, table)
    console.print(f"[bold]Why:[/bold] {result.explanation}")
    if result.binding:
        console.print("[bold]What binds[/bold] (the tightest constraints):")
        for b in result.binding:
            console.print(f"  • {b.sentence}")
    if result.audit and not result.audit.covert_path_safe:
        console.print(f"[yellow]Mid-way covert cheating:[/yellow] {result.audit.reason}")


def schedule_table(console: Console, scenario: Scenario, audit: AuditResult, title: str) -> None:
    names = _names(scenario)
    labels = _labels(scenario)
    parties = [p.id for p in scenario.parties]
    table = Table(title=title, title_justify="left")
    figure_column(table, "stage")
    label_column(table, "who")
    label_column(table, "gives")
    for p in parties:
        figure_column(table, f"slack {p}")
    by = {(c.stage, c.party): c for c in audit.stages}
    for k, stage in enumerate(audit.schedule, start=1):
        givers = [p for p in parties if any(scenario.move(m).owner == p for m in stage)]
        slacks = [_slack(by[(k, p)].slack) for p in parties]
        for i, p in enumerate(givers):
            moves = [labels[m] for m in stage if scenario.move(m).owner == p]
            first = i == 0
            table.add_row(
                str(k) if first else "",
                names[p],
                "; ".join(moves),
                *(slacks if first else ["" for _ in parties]),
                end_section=i == len(givers) - 1 and len(givers) > 1,
            )
    final = audit.final
    table.add_row(
        "end",
        "all",
        "keep the final agreement",
        *[_slack(min((c.slack for c in final.checks if c.party == p and c.slack is not None), default=None)) for p in parties],
    )
    show(console, table)


def audit_report(console: Console, scenario: Scenario, audit: AuditResult) -> None:
    names = _names(scenario)
    title = f"Audit of {audit.proposal}" if audit.proposal else "Audit of the schedule"
    schedule_table(console, scenario, audit, title)
    table = Table(title="Per stage and party", title_justify="left")
    for col in ("stage", "party", "comply", "best deviation", "worth", "slack"):
        (figure_column if col in ("comply", "worth", "slack") else label_column)(table, col)
    for c in audit.stages:
        if c.deviation is None:
            dev = "none"
        else:
            parts = []
            if c.deviation.skip:
                parts.append("skip " + ", ".join(c.deviation.skip))
            if c.deviation.reverse:
                parts.append("reverse " + ", ".join(c.deviation.reverse))
            dev = "; ".join(parts)
        table.add_row(str(c.stage), names[c.party], _fmt(c.comply), dev, _fmt(c.deviate), _slack(c.slack))
    show(console, table)
    status = "[green]holds[/green]" if audit.final.stable else "[red]does not hold[/red]"
    console.print(f"Final agreement {status} (least slack {_fmt(audit.final.slack)}).")
    console.print(
        "Covert cheating along the path: "
        + ("[green]never pays[/green]" if audit.covert_path_safe else "[yellow]pays somewhere[/yellow]")
    )
    console.print("Values: " + ", ".join(f"{names[p]} {v:.2f} (no deal {audit.disagreement[p]:.2f})" for p, v in audit.values.items()))
    verdict = "[green]Self-enforcing deal.[/green]" if audit.self_enforcing_deal else "[red]Not a self-enforcing deal.[/red]"
    console.print(verdict)
    for f in audit.failures:
        console.print(f"  • {f.sentence}")
    console.print(f"[bold]The play[/bold] (anyone quits where quitting pays): {audit.play.sentence}")


def beliefs(console: Console, scenario: Scenario, result: BeliefsResult) -> None:
    """Per party: the posterior after each event, how informative it was, what moved most."""
    names = _names(scenario)
    if not result.parties:
        console.print("This scenario has no [[types]], so there are no beliefs to update.", markup=False)
        return
    for pb in result.parties:
        table = Table(title=f"Beliefs about {names[pb.party]}", title_justify="left", expand=True)
        label_column(table, "date")
        label_column(table, "event", ratio=1)
        for t in pb.types:
            figure_column(table, f"P({t})")
        llr_head = f"log LR {pb.ratio_of[0]}:{pb.ratio_of[1]}" if len(pb.ratio_of) == 2 else "log LR"
        figure_column(table, llr_head)
        table.add_row("", "prior", *[f"{pb.prior[t]:.2f}" for t in pb.types], "")
        for step in pb.steps:
            if len(pb.ratio_of) < 2:
                llr = ""
            elif step.log_likelihood_ratio is None:
                llr = "decisive"
            else:
                llr = f"{step.log_likelihood_ratio:+.2f}"
            table.add_row(step.date, step.label, *[f"{step.posterior[t]:.2f}" for t in pb.types], llr)
        show(console, table)
        if pb.moved_most:
            labels = {s.event: s.label for s in pb.steps}
            moved = {s.event: s.moved for s in pb.steps}
            console.print(
                "  Moved beliefs most: "
                + "; ".join(f"{labels[e]} ({moved[e]:.2f})" for e in pb.moved_most)
            )


def _beliefs_text(beliefs: dict[str, dict[str, float]]) -> str:
    return "; ".join(
        ", ".join(f"{t} {p:.2f}" for t, p in types.items()) for types in beliefs.values()
    )


def _schedule_text(scenario: Scenario, schedule: list[list[str]]) -> str:
    labels = _labels(scenario)
    return " → ".join(" + ".join(labels[m] for m in stage) for stage in schedule) or "—"


def against_types(console: Console, scenario: Scenario, result: Analysis) -> None:
    """``detente run`` with types: the robust deal at the prior and after the timeline, side by side."""
    names = _names(scenario)
    labels = _labels(scenario)
    tau = result.robust[0].result.tau
    console.print(
        f"[bold]Against the wrong type[/bold] (every type at least {tau:.2f} likely must go through with it)"
    )
    for view in result.robust:
        console.print(f"  {view.beliefs_at}: {_beliefs_text(view.beliefs)}")
    table = Table(title_justify="left", expand=True)
    figure_column(table, "stage")
    for view in result.robust:
        label_column(table, f"deal at the {view.beliefs_at}", ratio=1)
    rows = max((len(v.result.schedule) for v in result.robust), default=0)
    for k in range(rows):
        cells = []
        for view in result.robust:
            sched = view.result.schedule
            if k >= len(sched):
                cells.append("")
                continue
            parts = []
            for p in scenario.parties:
                mine = [labels[m] for m in sched[k] if scenario.move(m).owner == p.id]
                if mine:
                    parts.append(f"{names[p.id]}: " + "; ".join(mine))
            cells.append(" | ".join(parts))
        table.add_row(str(k + 1), *cells)
    table.add_row(
        "gain",
        *[
            ", ".join(f"{names[p]} {g:.2f}" for p, g in (v.result.gains or {}).items()) or "no deal"
            for v in result.robust
        ],
        end_section=True,
    )
    show(console, table)
    for view in result.robust:
        r = view.result
        if r.screening is None:
            continue
        for t in r.screening.types:
            if t.quits_at is not None:
                console.print(f"  • {view.beliefs_at}: {t.sentence}")


def robust_solution(console: Console, scenario: Scenario, result: RobustSolveResult) -> None:
    """``detente solve --robust TAU``: the deal, each type's behaviour, expected values."""
    names = _names(scenario)
    console.print(
        f"[bold]Beliefs ({result.beliefs_at}):[/bold] {_beliefs_text(result.beliefs) or 'no types'}; "
        f"threshold τ = {result.tau:.2f}"
    )
    if not result.deal or result.screening is None:
        console.print(f"[bold red]{result.explanation}[/bold red]")
        return
    table = Table(title="The robust deal", title_justify="left")
    figure_column(table, "stage")
    label_column(table, "who")
    label_column(table, "gives")
    labels = _labels(scenario)
    for k, stage in enumerate(result.schedule, start=1):
        givers = [p.id for p in scenario.parties if any(scenario.move(m).owner == p.id for m in stage)]
        for i, p in enumerate(givers):
            moves = "; ".join(labels[m] for m in stage if scenario.move(m).owner == p)
            table.add_row(str(k) if i == 0 else "", names[p], moves)
    show(console, table)
    screening(console, scenario, result.screening, sentences=False)
    console.print(f"[bold]Why:[/bold] {result.explanation}")


def screening(console: Console, scenario: Scenario, result: ScreeningResult, sentences: bool = True) -> None:
    """What each type does inside the schedule, and the expected values."""
    names = _names(scenario)
    table = Table(title=f"Each type inside the schedule (beliefs: {result.beliefs_at})", title_justify="left")
    label_column(table, "party")
    label_column(table, "type")
    figure_column(table, "P")
    required = result.tau is not None
    if required:
        label_column(table, "must comply")
    label_column(table, "does")
    figure_column(table, "value")
    figure_column(table, "no deal")
    for t in result.types:
        does = "complies" if t.quits_at is None else f"quits at {'the end' if t.quits_at > len(result.schedule) else f'stage {t.quits_at}'}"
        cells = [names[t.party], t.type or "—", f"{t.probability:.2f}"]
        if required:
            cells.append("yes" if t.enforced else "no")
        table.add_row(
            *cells,
            Text(does, style="green" if t.quits_at is None else "yellow"),
            _fmt(t.value),
            _fmt(t.disagreement),
        )
    show(console, table)
    console.print(
        "Expected values: "
        + ", ".join(
            f"{names[p]} {v:.2f} (no deal {result.expected_disagreement[p]:.2f})"
            for p, v in result.expected_values.items()
        )
    )
    if sentences:
        for t in result.types:
            if t.quits_at is not None:
                console.print(f"  • {t.sentence}")
    if result.profiles:
        plays = Table(title="The play if these are the types (anyone may quit)", title_justify="left")
        label_column(plays, "types")
        figure_column(plays, "P")
        label_column(plays, "what happens")
        for party in scenario.parties:
            figure_column(plays, names[party.id])
        k_count = len(result.schedule)
        for prof in result.profiles:
            pl = prof.play
            if pl.ends_at is None:
                what = Text("kept to the end", style="green")
            else:
                when = "at the end" if pl.ends_at > k_count else f"at stage {pl.ends_at}"
                verb = "quit" if len(pl.quitters) > 1 else "quits"
                what = Text(" and ".join(names[q] for q in pl.quitters) + f" {verb} {when}", style="yellow")
            plays.add_row(
                ", ".join(prof.types.values()) or "—",
                f"{prof.probability:.2f}",
                what,
                *[_fmt(pl.values[party.id]) for party in scenario.parties],
            )
        show(console, plays)


def offers(console: Console, scenario: Scenario, result: OffersResult) -> None:
    """``detente offers``: per proposer type, the path against each responder type."""
    names = _names(scenario)
    p, r = result.proposer, result.responder
    console.print(
        f"[bold]Offers[/bold]: {names[p]} proposes, {names[r]} answers; {result.rounds} meeting"
        f"{'s' if result.rounds != 1 else ''}, {result.round_length} period{'s' if result.round_length != 1 else ''} apart; "
        f"beliefs: {result.beliefs_at} ({_beliefs_text(result.beliefs) or 'no types'}); "
        f"over {result.offers_considered} candidate offers ({result.candidates})."
    )
    for view in result.by_proposer_type:
        who = names[p] if view.proposer_type is None else f"{names[p]} as {view.proposer_type} (probability {view.probability:.2f})"
        table = Table(title=f"{who}: {view.label}", title_justify="left", expand=True)
        label_column(table, f"if {names[r]} is")
        figure_column(table, "meeting")
        label_column(table, "what happens", ratio=1)
        for path in view.paths:
            label = f"{path.responder_type or '—'} ({path.probability:.2f})"
            for i, m in enumerate(path.meetings):
                table.add_row(label if i == 0 else "", str(m.meeting), m.sentence, end_section=i == len(path.meetings) - 1)
        show(console, table)
        for path in view.paths:
            console.print(f"  • {path.sentence} Values: " + ", ".join(f"{names[q]} {v:.2f}" for q, v in path.values.items()) + ".")
        delay = "" if view.expected_delay is None else f", after {view.expected_delay:.1f} periods on average"
        console.print(
            f"  Expected: a deal with probability {view.p_deal:.2f}{delay}; "
            + ", ".join(f"{names[q]} {v:.2f} (no deal {view.disagreement[q]:.2f})" for q, v in view.expected_values.items())
            + "."
        )
        for prop in view.proposals:
            console.print(f"  • {prop.sentence}")


def signals(console: Console, scenario: Scenario, result: SignalsResult) -> None:
    """``detente signals``: per signal and type, benefit of being believed, cost, margin."""
    if not result.signals:
        console.print("This scenario has no [[signals]].", markup=False)
        return
    how = (
        "values through the offers protocol (what the proposer offers under each belief)"
        if result.protocol == "offers"
        else f"deals safe against every type at least {result.tau:.2f} likely"
    )
    console.print(f"[bold]Beliefs ({result.beliefs_at}):[/bold] {_beliefs_text(result.beliefs) or 'no types'}; {how}")
    table = Table(title="Signals", title_justify="left")
    label_column(table, "signal")
    label_column(table, "by")
    label_column(table, "kind")
    label_column(table, "type")
    figure_column(table, "benefit")
    figure_column(table, "cost")
    figure_column(table, "margin")
    label_column(table, "verdict")
    for v in result.signals:
        for i, t in enumerate(v.benefit):
            first = i == 0
            mark = "*" if t == v.good_type else ""
            verdict = (
                Text("separates", style="green") if v.separates else Text("does not", style="red")
            ) if first else Text("")
            table.add_row(
                v.signal if first else "",
                v.sender if first else "",
                v.kind if first else "",
                t + mark,
                f"{v.benefit[t]:.2f}",
                f"{v.cost[t]:.2f}",
                _slack(v.margins[t]),
                verdict,
                end_section=i == len(v.benefit) - 1,
            )
    show(console, table)
    console.print(
        "  * the good type. benefit: its value if believed good, less its value if believed not "
        "good; margin > 0: the condition holds."
    )
    for v in result.signals:
        console.print(f"  • {v.sentence}")
        if v.pooling is not None:
            console.print(f"    {v.pooling.sentence}")


@contextmanager
def progress_bar(enabled: bool = True, unit: str = "histories") -> Iterator[Callable[[int, int], None]]:
    """A progress bar with an ETA on standard error, when it is a terminal (not in a log
    file or a pipe); yields ``advance(done, total)``."""
    err = Console(stderr=True)
    if not enabled or not err.is_terminal:
        yield lambda done, total: None
        return
    columns = (
        TextColumn(unit),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("simulate", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


def _fixed(x: float, digits: int) -> str:
    """``x`` to ``digits`` decimals, never "-0.00" (a tiny negative mean reads as zero)."""
    text = f"{x:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _ci(e: object, digits: int = 2) -> str:
    est, low, high = (getattr(e, k) for k in ("estimate", "low", "high"))
    if est is None:
        return "—"
    if low is None or high is None:
        return _fixed(est, digits)
    return f"{_fixed(est, digits)} [{_fixed(low, digits)}, {_fixed(high, digits)}]"


def simulation(console: Console, scenario: Scenario, result: SimulationResult) -> None:
    """``detente simulate``: per strategy, the chances of a deal, its survival and the values."""
    names = _names(scenario)
    state = "" if result.complete else f" [yellow](interrupted: {result.completed} of {result.samples})[/yellow]"
    console.print(
        f"[bold]{result.completed} histories[/bold] per strategy (seed {result.seed}), horizon "
        f"{result.horizon} periods, misperception σ0 = {result.misperception:g}, working-level gain "
        f"ρ = {result.working_level_gain:g}, cooldown {result.summit_cooldown}{state}; "
        f"{result.seconds:.1f} s, {result.executor}"
    )
    table = Table(title="Strategies, on the same draws (95% confidence intervals)", title_justify="left")
    label_column(table, "strategy")
    figure_column(table, "P(signed by T)", justify="left")
    figure_column(table, "P(holds | signed)", justify="left")
    figure_column(table, "periods to sign", justify="left")
    figure_column(table, "summits")
    for s in result.strategies:
        table.add_row(
            s.strategy,
            _ci(s.p_signed),
            _ci(s.p_holds_given_signed),
            _ci(s.periods_to_signature, 1),
            f"{s.summits:.2f}",
        )
    show(console, table)
    values = Table(title="Expected values of the whole history (true numbers)", title_justify="left")
    label_column(values, "strategy")
    for p in scenario.parties:
        figure_column(values, names[p.id], justify="left")
    label_column(values, "deals broken by")
    for s in result.strategies:
        broken = ", ".join(f"{names[p]} {n}" for p, n in s.defections.items() if n) or "—"
        values.add_row(s.strategy, *[_ci(s.expected_values[p.id], 1) for p in scenario.parties], broken)
    show(console, values)
    simulation_friction(console, scenario, result)


NO_DEAL_LABELS = {
    "no-true-deal": "no self-enforcing deal (true)",
    "shock": "shock",
    "refused-working": "working rounds refused",
    "refused-offers": "summits failed",
    "out-of-time": "out of time",
}


def simulation_friction(console: Console, scenario: Scenario, result: SimulationResult) -> None:
    """Why histories end without a deal, and who refused what (docs/model.md, "Summit versus
    working level"); shown when the scenario sets any of the frictions of version 2."""
    names = _names(scenario)
    u = result
    console.print(
        f"Summit gain {u.summit_gain:g}, shock hazard {u.shock_hazard:g} a period; working-level refusal "
        + (", ".join(f"{names[p]} {x:g}" for p, x in u.working_level_refusal.items() if x) or "none")
        + ", cost of a round "
        + (", ".join(f"{names[p]} {x:g}" for p, x in u.working_level_cost.items() if x) or "none")
    )
    strategies = [s.strategy for s in result.strategies]
    reasons = Table(title="Histories without a deal, by reason (share of all histories, 95% intervals)", title_justify="left")
    label_column(reasons, "reason")
    for name in strategies:
        figure_column(reasons, name, justify="left")
    for key, label in NO_DEAL_LABELS.items():
        reasons.add_row(label, *[_ci(s.no_deal[key]) if key in s.no_deal else "—" for s in result.strategies])
    show(console, reasons)
    refused = Table(title="Working-level rounds and refusals, per history (mean)", title_justify="left")
    label_column(refused, "")
    for name in strategies:
        figure_column(refused, name)
    refused.add_row("working rounds held", *[f"{s.working_rounds_held:.2f}" for s in result.strategies])
    for p in scenario.parties:
        refused.add_row(f"rounds refused by {names[p.id]}", *[f"{s.working_refused.get(p.id, 0.0):.2f}" for s in result.strategies])
    for p in scenario.parties:
        refused.add_row(f"summit deals {names[p.id]} would not sign", *[f"{s.summit_refused.get(p.id, 0.0):.2f}" for s in result.strategies])
    show(console, refused)
    if result.beliefs is None:
        return
    drawn = "; ".join(
        f"{names[p]}: " + ", ".join(f"{t} {x:.2f}" for t, x in b.items()) for p, b in result.type_beliefs.items()
    )
    console.print(f"True types drawn from the {result.beliefs} ({drawn})")
    by = Table(title="By true types: P(signed by T) and P(holds | signed), 95% intervals", title_justify="left")
    label_column(by, "true types (histories)")
    for name in strategies:
        figure_column(by, name, justify="left")
    profiles = list(result.strategies[0].histories_by_types) if result.strategies else []
    for k in profiles:
        n = result.strategies[0].histories_by_types[k]
        by.add_row(
            f"{k} ({n})",
            *[f"{_ci(s.signed_by_types[k])}\n{_ci(s.holds_by_types[k])}" for s in result.strategies],
        )
    show(console, by)
    if result.proposer is not None and result.strategies and result.strategies[0].histories_by_proposer_type:
        first = result.strategies[0]
        who = names[result.proposer]
        prop = Table(
            title=f"By {who}'s true type ({who} proposes at each summit): P(signed by T), 95% intervals",
            title_justify="left",
        )
        label_column(prop, f"{who} is (histories)")
        for name in strategies:
            figure_column(prop, name, justify="left")
        for k, n in first.histories_by_proposer_type.items():
            prop.add_row(f"{k} ({n})", *[_ci(s.signed_by_proposer_type[k]) for s in result.strategies])
        show(console, prop)
    taught = ", ".join(
        f"{names[p]} {_ci(e, 3)}" for p, e in (result.strategies[0].learnt.items() if result.strategies else [])
    )
    if taught:
        revealed = (
            f" (the offers reveal {names[result.proposer]}'s type to {', '.join(names[q] for q in names if q != result.proposer)})"
            if result.proposer is not None else ""
        )
        console.print(
            f"What the summits taught ({result.strategies[0].strategy}): each side's belief in the "
            f"other's true type, end minus start, mean: {taught}{revealed}"
        )


def sensitivity(console: Console, scenario: Scenario, result: SensitivityResult) -> None:
    """``detente sensitivity``: per metric, each parameter's share of its variance (Sobol) or
    its elementary effects (Morris), most influential first."""
    method = "Sobol' indices" if result.method == "sobol" else "Morris elementary effects"
    per = f", {result.histories} histories a point" if result.histories else ""
    console.print(
        f"[bold]{method}[/bold] of {result.scenario}: {result.completed} of {result.points} points "
        f"(N = {result.samples}, seed {result.seed}{per}); {result.seconds:.1f} s, {result.executor}"
    )
    ranges = ", ".join(f"{v.parameter} ({v.distribution})" for v in result.varied)
    console.print(f"Varied over their \\[uncertainty] distributions: {ranges}")
    if not result.complete:
        console.print("[yellow]Interrupted: indices need every point of the design; none computed.[/yellow]")
        return
    sensitivity_indices(console, result.method, result.metrics)


def sensitivity_indices(console: Console, method: str, metrics: list[MetricSensitivity], what: str = "parameter") -> None:
    """Per metric, the table of its indices (most influential first) and a sentence on the top one."""
    for m in metrics:
        title = f"{m.metric}: mean {m.mean:.3g}, standard deviation {m.std:.3g}"
        if m.constant:
            console.print(f"{title}: [yellow]constant over the ranges, so no {what} moves it[/yellow]")
            continue
        table = Table(title=title, title_justify="left")
        label_column(table, what)
        if method == "sobol":
            figure_column(table, "first order S1 (±95%)")
            figure_column(table, "total ST (±95%)")
            for r in m.parameters:
                table.add_row(r.parameter, _pm(r.s1, r.s1_conf), _pm(r.st, r.st_conf))
        else:
            figure_column(table, "μ* (±95%)")
            figure_column(table, "μ")
            figure_column(table, "σ")
            for r in m.parameters:
                table.add_row(r.parameter, _pm(r.mu_star, r.mu_star_conf, 3), _num(r.mu, 3), _num(r.sigma, 3))
        show(console, table)
        top = m.parameters[0]
        if method == "sobol" and top.st is not None:
            console.print(
                f"  {top.parameter} matters most to {m.metric}: its total index (its share of the "
                f"variance with its interactions) is {_pm(top.st, top.st_conf)}."
            )
        elif top.mu_star is not None:
            console.print(
                f"  {top.parameter} matters most: moving it across its range changes {m.metric} "
                f"by {top.mu_star:.3g} on average (μ*)."
            )


def _num(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _pm(x: float | None, conf: float | None, digits: int = 2) -> str:
    if x is None:
        return "—"
    return f"{x:.{digits}f}" + ("" if conf is None else f" ± {conf:.{digits}f}")


def forecast(console: Console, result: ForecastResult, variant: str | None = None) -> None:
    """``detente forecast``: positions turn by turn per dimension, and why each actor moved.
    ``variant`` names a departure from KTAB's default configuration (the stochastic transition)."""
    how = "converged" if result.converged else "stopped at the turn limit"
    config = f"default configuration but {variant}" if variant else "default configuration"
    console.print(
        f"[bold]{result.scenario}[/bold]: {len(result.actors)} actors, {len(result.dimensions)} "
        f"dimension{'s' if len(result.dimensions) != 1 else ''}; {result.turns_run} turns ({how}). "
        f"KTAB's spatial model of politics, {config}; positions on 0-100."
    )
    states = len(result.positions)
    shown = sorted({round(i * (states - 1) / 7) for i in range(8)}) if states > 8 else list(range(states))
    for k, dim in enumerate(result.dimensions):
        table = Table(title=f"{dim}, turn by turn", title_justify="left")
        label_column(table, "actor")
        for t in shown:
            figure_column(table, "start" if t == 0 else f"turn {t}")
        figure_column(table, "P(wins)")
        for a, name in enumerate(result.actors):
            cells = [f"{100 * result.positions[t][a][k]:.1f}" for t in shown]
            table.add_row(name, *cells, f"{result.winning_probabilities[-1][a]:.2f}")
        show(console, table)
    console.print(
        "P(wins): the chance that the actor's final position wins a Condorcet election over the "
        "final positions (actors at the same position share it)."
    )
    if result.why:
        console.print("[bold]Why each actor moved[/bold] (its largest move):")
        for w in result.why:
            console.print(Padding(w.sentence, (0, 0, 0, 2)))
