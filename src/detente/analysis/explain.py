"""Plain-words sentences for failed constraints (docs/model.md, "The audit").

Sentences name at most ``LIST_LIMIT`` moves and count the rest ("and 4 more"): they are read
on one screen; the full lists are in the JSON output (``deviation.skip``, ``reverse``,
``snapback``) and in ``detente audit``'s table.
"""

from __future__ import annotations

from detente.results import DeviationInfo, PlayStepInfo
from detente.scenario.model import Scenario

LIST_LIMIT = 2


class Words:
    """Names and labels of one scenario, for sentences."""

    def __init__(self, scenario: Scenario) -> None:
        self.party_names = {p.id: p.name for p in scenario.parties}
        self.labels = {m.id: m.label for m in scenario.moves}
        self.owners = {m.id: m.owner for m in scenario.moves}
        self.party_order = [p.id for p in scenario.parties]

    def party(self, pid: str) -> str:
        return self.party_names.get(pid, pid)

    def moves(self, ids: list[str], limit: int = LIST_LIMIT) -> str:
        items = [self.labels.get(i, i) for i in ids]
        if not items:
            return "nothing"
        if len(items) > limit:
            rest = len(items) - limit
            return ", ".join(items[:limit]) + f" and {rest} more"
        if len(items) == 1:
            return items[0]
        return ", ".join(items[:-1]) + " and " + items[-1]

    def deviation(self, dev: DeviationInfo, own: list[str] | None = None) -> str:
        """What the deviator does: 'holding back (...) and undoing (...)'.

        When it holds back exactly its own part of the stage (``own``), the list is not repeated.
        """
        parts = []
        if dev.skip:
            if own is not None and sorted(dev.skip) == sorted(own):
                parts.append("holding it back")
            else:
                parts.append(f"holding back ({self.moves(dev.skip)})")
        if dev.reverse:
            parts.append(f"undoing ({self.moves(dev.reverse)})")
        return " and ".join(parts) if parts else "deviating"

    def aftermath(self, dev: DeviationInfo) -> str:
        """What the others do about it, as a clause (empty if nothing snaps back)."""
        if not dev.snapback:
            return ""
        return f"; the others would then undo {self.moves(dev.snapback)}"


def stage_failure(w: Words, party: str, stage: int, moves: list[str], comply: float, deviate: float, dev: DeviationInfo) -> str:
    who = w.party(party)
    if not moves:  # it gives nothing at this stage: it walks out by undoing something
        return (
            f"{who} would walk out at stage {stage}, before its own part comes due: "
            f"{w.deviation(dev, moves)} is worth {deviate:.2f} against {comply:.2f} for staying, "
            f"short by {deviate - comply:.2f}{w.aftermath(dev)}."
        )
    what = f"its part of stage {stage} ({w.moves(moves)})"
    return (
        f"{who} would not go through with {what}: {w.deviation(dev, moves)} is worth {deviate:.2f} "
        f"against {comply:.2f} for complying, short by {deviate - comply:.2f}{w.aftermath(dev)}."
    )


def final_overt_failure(w: Words, party: str, comply: float, deviate: float, dev: DeviationInfo) -> str:
    who = w.party(party)
    return (
        f"The final agreement would not hold: {w.deviation(dev)} is worth {deviate:.2f} to {who} "
        f"against {comply:.2f} for keeping it, short by {deviate - comply:.2f}{w.aftermath(dev)}."
    )


def final_covert_failure(w: Words, party: str, cheat: list[str], q: float, comply: float, deviate: float) -> str:
    who = w.party(party)
    return (
        f"The final agreement would not hold: {who} would secretly stop ({w.moves(cheat)}); caught "
        f"with probability {q:.0%} a period, cheating is worth {deviate:.2f} against {comply:.2f} "
        f"for complying, short by {deviate - comply:.2f}."
    )


def path_covert_failure(w: Words, party: str, stage: int, cheat: list[str], comply: float, deviate: float) -> str:
    who = w.party(party)
    return (
        f"From stage {stage} on, {who} would gain {deviate - comply:.2f} by secretly not keeping "
        f"({w.moves(cheat)}) while the schedule goes on ({deviate:.2f} against {comply:.2f})."
    )


def no_gain_failure(w: Words, party: str, value: float, d: float) -> str:
    who = w.party(party)
    return f"{who} would be worse off than with no deal: {value:.2f} against {d:.2f} without one."


def no_gain_for_anyone(value_text: str) -> str:
    return f"No party gains anything over no deal ({value_text})."


def play_sentence(w: Words, steps: list[PlayStepInfo], ends_at: int | None, k_count: int) -> str:
    """The play of a schedule in words: nobody quits, or who quits first, how, and what all get."""
    first = steps[0]
    if ends_at is None:
        values = ", ".join(f"{w.party(p)} {v:.2f}" for p, v in first.values.items())
        return f"Nobody quits: every party keeps to the schedule to the end ({values})."
    st = steps[ends_at - 1]
    parts = []
    for q in st.quitters:
        dev = st.deviations.get(q)
        how = w.deviation(dev) if dev is not None else "deviating"
        parts.append(
            f"{w.party(q)} ({how}: {st.deviate[q]:.2f} against {st.comply[q]:.2f} for going on)"
        )
    who = " and ".join(parts)
    when = "after the last stage, breaking the final agreement" if ends_at == k_count + 1 else f"at stage {ends_at}"
    values = ", ".join(f"{w.party(p)} {v:.2f}" for p, v in first.values.items())
    verb = "quit" if len(st.quitters) > 1 else "quits"
    return f"{who[0].upper()}{who[1:]} {verb} {when}; in the end: {values}."


def schedule_words(w: Words, schedule: list[list[str]]) -> str:
    """A schedule in words, every move named: "(1) DPRK: Freeze Yongbyon; United States: Open
    liaison offices, then (2) ..."."""
    stages = []
    for k, stage in enumerate(schedule, start=1):
        parts = []
        for party in w.party_order:
            mine = [w.labels.get(m, m) for m in stage if w.owners.get(m) == party]
            if mine:
                parts.append(f"{w.party(party)}: " + ", ".join(mine))
        text = "; ".join(parts)
        stages.append(text if len(schedule) == 1 else f"({k}) {text}")
    return ", then ".join(stages) if stages else "nothing"
