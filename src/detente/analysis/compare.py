"""Why did the deal change (docs/model.md, "Tipping points, sweeps and comparisons"): two
analyses side by side and, in words, which constraints moved.

The diff is defined from the two :class:`Analysis` objects (the *baseline*, the ``--against``
side, and the *changed* side):

- the Nash deals side by side, and the stages (as sets of moves) one has and the other lacks;
- for every schedule audited on both sides (each proposal, and each side's deal audited under
  the other side's numbers too), every constraint present in both audits (stage × party, the
  final agreement's overt and covert checks) whose slack changed sign (holds ↔ fails, within
  the audit's tolerance);
- the moves whose reversal now pays their owner, or no longer does (``Game.reversal_pays``);
- under protocol "offers", the responder's types that left or joined the acceptance set of
  each proposer type's opening;
- the proposals whose verdict changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from detente.analysis import explain
from detente.analysis.audit import audit_schedule
from detente.analysis.offers import NO_TYPE
from detente.errors import ScheduleError
from detente.model.game import compile_game
from detente.results import (
    AcceptanceChange,
    Analysis,
    AuditResult,
    CompareResult,
    CompareSide,
    ConstraintChange,
    ParameterChange,
    ProposalChange,
    ReversalChange,
)
from detente.scenario.model import Scenario

Schedule = list[list[str]]


def side_label(sc: Scenario, overrides: dict[str, float], by_origin: bool) -> str:
    name = sc.origin if by_origin else sc.id
    if overrides:
        return f"{name} with " + ", ".join(f"{k}={v:g}" for k, v in overrides.items())
    return name if by_origin else f"{name} as the file sets it"


def _side(sc: Scenario, a: Analysis, label: str, overrides: dict[str, float]) -> CompareSide:
    s = a.solve
    openings: dict[str, Schedule | None] = {}
    if a.offers is not None:
        openings = {v.proposer_type or NO_TYPE: v.opening for v in a.offers.by_proposer_type}
    return CompareSide(
        label=label,
        scenario=sc.id,
        origin=sc.origin,
        overrides=dict(overrides),
        deal=s.deal,
        schedule=s.schedule,
        values=s.values,
        gains=s.gains,
        disagreement=s.disagreement,
        proposals={v.proposal: v.audit.self_enforcing_deal for v in a.proposals},
        openings=openings,
    )


class _Words:
    """Names and labels from the changed side, the baseline's where the changed side lacks them."""

    def __init__(self, changed: Scenario, baseline: Scenario) -> None:
        self.w = explain.Words(changed)
        other = explain.Words(baseline)
        self.w.labels = {**other.labels, **self.w.labels}
        self.w.owners = {**other.owners, **self.w.owners}
        self.w.party_names = {**other.party_names, **self.w.party_names}

    def party(self, pid: str) -> str:
        return self.w.party(pid)

    def moves(self, ids: Sequence[str], limit: int = 3) -> str:
        return self.w.moves(list(ids), limit)

    def schedule(self, schedule: Schedule) -> str:
        return explain.schedule_words(self.w, schedule) if schedule else "no deal"


def compare(
    changed: Scenario,
    changed_analysis: Analysis,
    baseline: Scenario,
    baseline_analysis: Analysis,
    changed_overrides: dict[str, float] | None = None,
    baseline_overrides: dict[str, float] | None = None,
) -> CompareResult:
    """The diff of two analyses (see the module's docstring)."""
    by_origin = changed.origin != baseline.origin
    words = _Words(changed, baseline)
    before = _side(baseline, baseline_analysis, side_label(baseline, baseline_overrides or {}, by_origin), baseline_overrides or {})
    after = _side(changed, changed_analysis, side_label(changed, changed_overrides or {}, by_origin), changed_overrides or {})
    params = _parameters(baseline, changed)
    same = before.schedule == after.schedule
    old = [frozenset(s) for s in before.schedule]
    new = [frozenset(s) for s in after.schedule]
    added = [sorted(s) for s in new if s not in old]
    removed = [sorted(s) for s in old if s not in new]
    constraints = _constraints(words, baseline, baseline_analysis, changed, changed_analysis, before, after)
    reversals = _reversals(words, baseline, changed)
    acceptance = _acceptance(words, baseline_analysis, changed_analysis)
    proposals = _proposals(words, baseline_analysis, changed_analysis)
    summary = _summary(words, before, after, params, same, added, removed)
    summary += [c.sentence for c in constraints] + [r.sentence for r in reversals]
    summary += [a.sentence for a in acceptance] + [p.sentence for p in proposals]
    if len(summary) == 2 and not (constraints or reversals or acceptance or proposals):
        summary.append("No constraint of the deals or proposals changed sign, no reversal changed, no verdict changed.")
    return CompareResult(
        baseline=before,
        changed=after,
        parameters=params,
        same_deal=same,
        stages_added=added,
        stages_removed=removed,
        constraints=constraints,
        reversals=reversals,
        acceptance=acceptance,
        proposals=proposals,
        summary=summary,
    )


def _parameters(baseline: Scenario, changed: Scenario) -> list[ParameterChange]:
    out = []
    names = list(baseline.parameters) + [n for n in changed.parameters if n not in baseline.parameters]
    for n in names:
        b, c = baseline.parameters.get(n), changed.parameters.get(n)
        if b != c:
            out.append(ParameterChange(parameter=n, before=b, after=c))
    return out


def _summary(
    words: _Words,
    before: CompareSide,
    after: CompareSide,
    params: list[ParameterChange],
    same: bool,
    added: list[list[str]],
    removed: list[list[str]],
) -> list[str]:
    if params:
        moved = "; ".join(
            f"{p.parameter} {'absent' if p.before is None else f'{p.before:g}'} → {'absent' if p.after is None else f'{p.after:g}'}"
            for p in params
        )
        head = f"{after.label} against {before.label} ({moved})."
    else:
        head = f"{after.label} against {before.label} (no parameter differs)."
    if same and after.deal:
        deal = f"The deal is the same: {words.schedule(after.schedule)}."
        if before.values and after.values:
            deal += " Values: " + ", ".join(
                f"{words.party(p)} {before.values[p]:.2f} → {v:.2f}" for p, v in after.values.items() if p in before.values
            ) + "."
    elif same:
        deal = "Neither side has a self-enforcing deal."
    elif not after.deal:
        deal = f"The deal ({words.schedule(before.schedule)}) is gone: no self-enforcing deal."
    elif not before.deal:
        deal = f"A self-enforcing deal appears: {words.schedule(after.schedule)}."
    else:
        deal = f"The deal changes from {words.schedule(before.schedule)} to {words.schedule(after.schedule)}."
        if not added and not removed:
            deal += " The same stages, in another order."
        else:
            if added:
                deal += " New stages: " + "; ".join(words.moves(s) for s in added) + "."
            if removed:
                deal += " Stages dropped: " + "; ".join(words.moves(s) for s in removed) + "."
    return [head, deal]


def _audit(sc: Scenario, a: Analysis, stages: Schedule) -> AuditResult | None:
    """``stages`` audited under ``sc``'s numbers, the analysis' own audit where it has one
    (None: a move of it is not in ``sc``)."""
    if a.solve.audit is not None and stages == a.solve.schedule:
        return a.solve.audit
    for v in a.proposals:
        if v.audit.schedule == stages:
            return v.audit
    try:
        return audit_schedule(sc, stages, game=compile_game(sc))
    except ScheduleError:
        return None


def _constraints(
    words: _Words,
    baseline: Scenario,
    baseline_analysis: Analysis,
    changed: Scenario,
    changed_analysis: Analysis,
    before: CompareSide,
    after: CompareSide,
) -> list[ConstraintChange]:
    """Every schedule audited on both sides (the deals, each proposal), once each."""
    named: dict[tuple[tuple[str, ...], ...], list[str]] = {}

    def add(name: str, stages: Schedule) -> None:
        named.setdefault(tuple(tuple(s) for s in stages), []).append(name)

    if before.schedule == after.schedule:
        if after.deal:
            add("the deal", after.schedule)
    else:
        if before.deal:
            add(f"the deal of {before.label}", before.schedule)
        if after.deal:
            add(f"the deal of {after.label}", after.schedule)
    old_ids = {v.proposal for v in baseline_analysis.proposals}
    for v in changed_analysis.proposals:
        if v.proposal in old_ids:
            add(f"proposal {v.proposal}", v.audit.schedule)
    out: list[ConstraintChange] = []
    for key, names in named.items():
        stages = [list(s) for s in key]
        name = names[0] + (f" (also {', '.join(names[1:])})" if len(names) > 1 else "")
        audit_before = _audit(baseline, baseline_analysis, stages)
        audit_after = _audit(changed, changed_analysis, stages)
        if audit_before is None or audit_after is None:
            continue
        out += _stage_changes(words, name, audit_before, audit_after)
        out += _final_changes(words, name, audit_before, audit_after)
        out += _path_changes(words, name, audit_before, audit_after)
    return out


def _path_changes(words: _Words, name: str, a: AuditResult, b: AuditResult) -> list[ConstraintChange]:
    """The covert path check (docs/model.md, "The audit"): reported, not a condition of
    self-enforcement, but a reason a deal is or is not safe mid-way."""
    out = []
    after = {(c.stage, c.party): c for c in b.covert_path}
    for c in a.covert_path:
        d = after.get((c.stage, c.party))
        if d is None or c.holds == d.holds:
            continue
        cheat = d.cheat if not d.holds else c.cheat
        verb = "no longer pays" if d.holds else "now pays"
        out.append(
            ConstraintChange(
                schedule=name, kind="path-covert", stage=c.stage, party=c.party, cheat=list(cheat),
                slack_before=c.slack, slack_after=d.slack, holds_before=c.holds, holds_after=d.holds,
                sentence=(
                    f"In {name}, cheating in secret on {words.moves(cheat)} from stage {c.stage} {verb} "
                    f"{words.party(c.party)}: slack {_num(c.slack)} → {_num(d.slack)} (mid-way cheating is "
                    "reported, not a condition of a self-enforcing deal)."
                ),
            )
        )
    return out


def _stage_changes(words: _Words, name: str, a: AuditResult, b: AuditResult) -> list[ConstraintChange]:
    out = []
    after = {(c.stage, c.party): c for c in b.stages}
    for c in a.stages:
        d = after.get((c.stage, c.party))
        if d is None or c.holds == d.holds:
            continue
        stage = a.schedule[c.stage - 1]
        verb = "now pays" if d.holds else "no longer pays"
        sentence = (
            f"In {name}, stage {c.stage} ({words.moves(stage)}) {verb} {words.party(c.party)}: "
            f"slack {_num(c.slack)} → {_num(d.slack)}."
        )
        out.append(
            ConstraintChange(
                schedule=name, kind="stage", stage=c.stage, party=c.party, slack_before=c.slack,
                slack_after=d.slack, holds_before=c.holds, holds_after=d.holds, sentence=sentence,
            )
        )
    return out


def _final_changes(words: _Words, name: str, a: AuditResult, b: AuditResult) -> list[ConstraintChange]:
    out = []
    after = {(c.party, c.kind, tuple(c.cheat)): c for c in b.final.checks}
    for c in a.final.checks:
        d = after.get((c.party, c.kind, tuple(c.cheat)))
        if d is None or c.holds == d.holds:
            continue
        who = words.party(c.party)
        if c.kind == "overt":
            what = f"the final agreement {'now holds for' if d.holds else 'no longer holds for'} {who}"
        else:
            what = (
                f"secretly stopping {words.moves(c.cheat)} {'no longer pays' if d.holds else 'now pays'} {who}"
                " at the final agreement"
            )
        out.append(
            ConstraintChange(
                schedule=name, kind="final-overt" if c.kind == "overt" else "final-covert", stage=None,
                party=c.party, cheat=list(c.cheat), slack_before=c.slack, slack_after=d.slack,
                holds_before=c.holds, holds_after=d.holds,
                sentence=f"In {name}, {what}: slack {_num(c.slack)} → {_num(d.slack)}.",
            )
        )
    return out


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def _reversals(words: _Words, baseline: Scenario, changed: Scenario) -> list[ReversalChange]:
    gb, gc = compile_game(baseline), compile_game(changed)
    index = {m: i for i, m in enumerate(gc.move_ids)}
    out = []
    for i, m in enumerate(gb.move_ids):
        j = index.get(m)
        if j is None:
            continue
        was, now = gb.reversal_pays(i), gc.reversal_pays(j)
        if was == now:
            continue
        owner = gc.party_ids[int(gc.owner[j])]
        verb = "now pays" if now else "no longer pays"
        sentence = (
            f"Undoing {words.moves([m])} {verb} {words.party(owner)}: "
            + ("it would be undone if the deal broke down (snapback), and without a deal." if now
               else "its threat of undoing it no longer counts, and it would keep it without a deal.")
        )
        out.append(ReversalChange(move=m, owner=owner, pays_before=was, pays_after=now, sentence=sentence))
    return out


def _acceptance(words: _Words, baseline: Analysis, changed: Analysis) -> list[AcceptanceChange]:
    if baseline.offers is None or changed.offers is None:
        return []
    old = {v.proposer_type: v for v in baseline.offers.by_proposer_type}
    rid = changed.offers.responder
    out = []
    for v in changed.offers.by_proposer_type:
        u = old.get(v.proposer_type)
        if u is None:
            continue
        left = [t for t in u.opening_takers if t not in v.opening_takers]
        joined = [t for t in v.opening_takers if t not in u.opening_takers]
        if not left and not joined and u.opening == v.opening:
            continue
        who = words.party(changed.offers.proposer)
        who = who if v.proposer_type is None else f"{who} as {v.proposer_type}"
        parts = []
        if u.opening != v.opening:
            parts.append(
                f"{who} now opens with {words.schedule(v.opening) if v.opening else 'no offer'} "
                f"(it opened with {words.schedule(u.opening) if u.opening else 'no offer'})"
            )
        else:
            parts.append(f"{who}'s opening is the same")
        if left:
            parts.append(" and ".join(_type(words, rid, t) for t in left) + " no longer take" + ("s" if len(left) == 1 else "") + " it")
        if joined:
            parts.append(" and ".join(_type(words, rid, t) for t in joined) + " now take" + ("s" if len(joined) == 1 else "") + " it")
        out.append(
            AcceptanceChange(
                proposer_type=v.proposer_type, opening_before=u.opening, opening_after=v.opening,
                left=left, joined=joined, sentence="; ".join(parts) + ".",
            )
        )
    return out


def _type(words: _Words, rid: str, t: str) -> str:
    return words.party(rid) if t == NO_TYPE else f"the {t} {words.party(rid)}"


def _proposals(words: _Words, baseline: Analysis, changed: Analysis) -> list[ProposalChange]:
    old = {v.proposal: v for v in baseline.proposals}
    out = []
    for v in changed.proposals:
        u = old.get(v.proposal)
        if u is None or u.audit.self_enforcing_deal == v.audit.self_enforcing_deal:
            continue
        name = v.label or v.proposal
        if v.audit.self_enforcing_deal:
            sentence = f"{name} becomes a self-enforcing deal."
        else:
            sentence = f"{name} no longer holds: {v.audit.reason}"
        out.append(
            ProposalChange(
                proposal=v.proposal, before=u.audit.self_enforcing_deal, after=v.audit.self_enforcing_deal, sentence=sentence
            )
        )
    return out
