"""The audit of one schedule (docs/model.md, "The audit"): every stage, the final agreement,
the covert path and the play.

Pure maths over a compiled :class:`Game`, wrapped into an :class:`AuditResult` with words.
Its cost grows at most quadratically with the number of stages, which is capped at
``MAX_AUDIT_STAGES``.
"""

from __future__ import annotations

from itertools import combinations
from math import comb

import numpy as np
from numpy.typing import NDArray

from detente.analysis import explain
from detente.errors import ScheduleError, did_you_mean
from detente.model.bargaining import disagreement
from detente.model.deviation import Deviation, overt_deviation
from detente.model.game import TOLERANCE, FloatArray, Game, bits, compile_game
from detente.model.payoffs import (
    flow_utility,
    missing_requirements,
    one_time_cost,
    schedule_values,
    states_of,
)
from detente.model.play import Play, play
from detente.model.stability import (
    covert_final,
    overt_final,
)
from detente.results import (
    AuditResult,
    CovertPathCheck,
    DeviationInfo,
    Failure,
    FinalCheck,
    FinalSummary,
    PlayInfo,
    PlayStepInfo,
    StageCheck,
)
from detente.scenario.model import Scenario

MAX_PATH_CHEAT_SIZE = 6  # every set of up to 6 moves that can be hidden at a stage ...
MAX_PATH_CHEAT_SETS = 4096  # ... unless there are more such sets: then each move alone, and all
MAX_AUDIT_STAGES = 256  # a schedule of more stages is refused (a proposal uses each move once)


def parse_stages(text: str, origin: str = "") -> list[list[str]]:
    """``"a1,b2;b1"`` → ``[["a1", "b2"], ["b1"]]``: stages split by ';', moves by ','."""
    stages = [[m.strip() for m in part.split(",") if m.strip()] for part in text.split(";")]
    if not text.strip():
        raise ScheduleError(origin, "stages", 'empty schedule; write stages as "a1,b2;b1"')
    for k, stage in enumerate(stages, start=1):
        if not stage:
            raise ScheduleError(origin, "stages", f'stage {k} is empty; write stages as "a1,b2;b1"')
    return stages


def schedule_masks(g: Game, stages: list[list[str]], where: str = "stages", origin: str = "") -> list[int]:
    """Stage masks of a schedule of move ids, checked: known, free, used once. ``where`` names
    the schedule in errors: the parameter (``stages``) or the proposal (``proposals[ID]``)."""
    if len(stages) > MAX_AUDIT_STAGES:
        raise ScheduleError(origin, where, f"{len(stages)} stages; the audit takes at most {MAX_AUDIT_STAGES} stages")
    index = {mid: i for i, mid in enumerate(g.move_ids)}
    seen: set[str] = set()
    masks = []
    for k, stage in enumerate(stages, start=1):
        mask = 0
        for mid in stage:
            if mid not in index:
                raise ScheduleError(origin, where, f"stage {k}: unknown move {mid!r}{did_you_mean(mid, g.move_ids)}")
            if (g.initial >> index[mid]) & 1:
                raise ScheduleError(origin, where, f"stage {k}: move {mid!r} is already in effect")
            if mid in seen:
                raise ScheduleError(origin, where, f"stage {k}: move {mid!r} appears twice")
            seen.add(mid)
            mask |= 1 << index[mid]
        masks.append(mask)
    return masks


def deviation_info(g: Game, dev: Deviation | None) -> DeviationInfo | None:
    if dev is None:
        return None
    return DeviationInfo(skip=g.ids(dev.skipped), reverse=g.ids(dev.reversed), snapback=g.ids(dev.snapped))


def audit_schedule(
    scenario: Scenario,
    stages: list[list[str]],
    proposal: str | None = None,
    game: Game | None = None,
) -> AuditResult:
    """Audit ``stages`` (lists of move ids) in ``scenario``."""
    g = game if game is not None else compile_game(scenario)
    where = f"proposals[{proposal}]" if proposal else "stages"
    masks = schedule_masks(g, stages, where, scenario.origin)
    words = explain.Words(scenario)
    pid = g.party_ids
    failures: list[Failure] = []

    states = states_of(g, masks)
    valid = True
    for k, stage in enumerate(masks, start=1):
        for m, r in missing_requirements(g, states[k]):
            if (stage >> m) & 1:
                valid = False
                failures.append(
                    Failure(
                        kind="invalid",
                        stage=k,
                        sentence=(
                            f"Stage {k} is not valid: {words.moves([g.move_ids[m]])} requires "
                            f"{words.moves([g.move_ids[r]])}, which is not in effect by then."
                        ),
                    )
                )

    values = schedule_values(g, masks)
    stage_checks: list[StageCheck] = []
    for k, stage in enumerate(masks, start=1):
        for p in range(g.n_parties):
            dev = overt_deviation(g, states[k - 1], stage, p)
            comply = float(values[k - 1, p])
            slack = None if dev is None else comply - dev.value
            holds = slack is None or slack >= -TOLERANCE
            info = deviation_info(g, dev)
            own = g.ids(stage & g.owned(p))
            stage_checks.append(
                StageCheck(
                    stage=k,
                    party=pid[p],
                    moves=own,
                    comply=comply,
                    deviate=None if dev is None else dev.value,
                    slack=slack,
                    holds=holds,
                    deviation=info,
                )
            )
            if not holds and dev is not None and info is not None:
                failures.append(
                    Failure(
                        kind="stage",
                        stage=k,
                        party=pid[p],
                        shortfall=-float(slack or 0.0),
                        sentence=explain.stage_failure(words, pid[p], k, own, comply, dev.value, info),
                    )
                )

    final = _final_checks(g, states[-1], words, failures)
    path = _covert_path(g, masks, states, values, words, failures)
    played = play_info(g, play(g, masks), words)

    dis = disagreement(g)
    v1 = values[0]
    gains = v1 - dis.values
    ir = bool((gains >= -TOLERANCE).all() and (gains > TOLERANCE).any())
    for p in range(g.n_parties):
        if gains[p] < -TOLERANCE:
            failures.append(
                Failure(
                    kind="no-gain",
                    party=pid[p],
                    shortfall=float(-gains[p]),
                    sentence=explain.no_gain_failure(words, pid[p], float(v1[p]), float(dis.values[p])),
                )
            )
    if (gains >= -TOLERANCE).all() and not (gains > TOLERANCE).any():
        failures.append(
            Failure(
                kind="no-gain",
                sentence=explain.no_gain_for_anyone(
                    ", ".join(f"{words.party(pid[p])} {v1[p]:.2f}" for p in range(g.n_parties))
                ),
            )
        )

    feasible = valid and all(c.holds for c in stage_checks) and final.stable
    enforcing = feasible and ir
    if enforcing:
        reason = (
            "Self-enforcing: every stage pays for every party, the final agreement holds, and "
            "no party is worse off than with no deal."
        )
        if not path.safe:
            first = next(f.sentence for f in failures if f.kind == "path-covert")
            reason += " Mid-way, though: " + first
    else:
        reason = _first_reason(failures)
    return AuditResult(
        scenario=scenario.id,
        proposal=proposal,
        schedule=[g.ids(s) for s in masks],
        valid=valid,
        feasible=feasible,
        individually_rational=ir,
        self_enforcing_deal=enforcing,
        stages=stage_checks,
        final=final.summary,
        covert_path=path.checks,
        covert_path_safe=path.safe,
        values={pid[p]: float(v1[p]) for p in range(g.n_parties)},
        disagreement={pid[p]: float(dis.values[p]) for p in range(g.n_parties)},
        failures=failures,
        reason=reason,
        play=played,
    )


def _first_reason(failures: list[Failure]) -> str:
    """The reason a schedule is not a self-enforcing deal: an invalid stage, else the earliest
    failing stage's largest shortfall, else the final agreement's, else no gain."""
    hard = [f for f in failures if f.kind != "path-covert"]
    if not hard:
        return "Not self-enforcing."
    invalid = [f for f in hard if f.kind == "invalid"]
    if invalid:
        return invalid[0].sentence
    order = {"stage": 0, "final-overt": 1, "final-covert": 1, "no-gain": 2}
    best = min(hard, key=lambda f: (order[f.kind], f.stage or 0, -(f.shortfall or 0.0)))
    return best.sentence


def play_info(g: Game, pl: Play, words: explain.Words) -> PlayInfo:
    """The play in the result's terms, with a sentence."""
    pid = g.party_ids

    def by_party(values: FloatArray) -> dict[str, float]:
        return {pid[p]: float(values[p]) for p in range(g.n_parties)}

    steps = [
        PlayStepInfo(
            stage=st.stage,
            comply=by_party(st.comply),
            deviate={pid[p]: (None if st.deviations[p] is None else float(st.deviate[p])) for p in range(g.n_parties)},
            quitters=[pid[p] for p in st.quitters],
            values=by_party(st.values),
            deviations={
                pid[p]: info
                for p in st.quitters
                if (info := deviation_info(g, st.deviations[p])) is not None
            },
        )
        for st in pl.steps
    ]
    return PlayInfo(
        ends_at=pl.ends_at,
        quitters=[pid[p] for p in pl.quitters],
        values=by_party(pl.values),
        steps=steps,
        sentence=explain.play_sentence(words, steps, pl.ends_at, len(pl.steps) - 1),
    )


class _Final:
    def __init__(self, summary: FinalSummary) -> None:
        self.summary = summary
        self.stable = summary.stable


def _final_checks(g: Game, s: int, words: explain.Words, failures: list[Failure]) -> _Final:
    checks: list[FinalCheck] = []
    for p in range(g.n_parties):
        pid = g.party_ids[p]
        overt = overt_final(g, s, p)
        info = deviation_info(g, overt.deviation)
        checks.append(
            FinalCheck(
                party=pid,
                kind="overt",
                comply=overt.comply,
                deviate=None if overt.deviation is None else overt.deviation.value,
                slack=overt.slack,
                holds=overt.holds,
                deviation=info,
            )
        )
        if not overt.holds and overt.deviation is not None and info is not None:
            failures.append(
                Failure(
                    kind="final-overt",
                    party=pid,
                    shortfall=-float(overt.slack or 0.0),
                    sentence=explain.final_overt_failure(words, pid, overt.comply, overt.deviation.value, info),
                )
            )
        worst: Failure | None = None
        for c in covert_final(g, s, p):
            cheat = g.ids(c.cheat)
            checks.append(
                FinalCheck(
                    party=pid,
                    kind="covert",
                    comply=c.comply,
                    deviate=c.value,
                    slack=c.slack,
                    holds=c.holds,
                    cheat=cheat,
                    detection=c.q,
                )
            )
            if not c.holds and (worst is None or -c.slack > (worst.shortfall or 0.0)):
                worst = Failure(
                    kind="final-covert",
                    party=pid,
                    shortfall=-c.slack,
                    sentence=explain.final_covert_failure(words, pid, cheat, c.q, c.comply, c.value),
                )
        if worst is not None:  # one sentence per party: the most profitable way to cheat
            failures.append(worst)
    slacks = [c.slack for c in checks if c.slack is not None]
    stable = all(c.holds for c in checks)
    return _Final(FinalSummary(stable=stable, slack=min(slacks) if slacks else None, checks=checks))


class _Path:
    def __init__(self, checks: list[CovertPathCheck]) -> None:
        self.checks = checks
        self.safe = all(c.holds for c in checks)


def _covert_path(
    g: Game,
    masks: list[int],
    states: list[int],
    values: FloatArray,
    words: explain.Words,
    failures: list[Failure],
) -> _Path:
    """Cheating on C from stage k on, the rest of the schedule going on while undetected.

    C is a set of what p can hide at stage k: its reversible, imperfectly verifiable moves in
    effect after the stage (it secretly stops them), and its imperfectly verifiable moves due at
    the stage (it pretends to perform them, saving their upfront cost) — every set of up to 6
    such moves, or each alone and all of them when there are too many sets. For a fixed C,

        X_C(K+1) = the stationary covert value of the final agreement
        X_C(j)   = u_p(s_j) − o_p(S_j) + gain_C + δ_p [q_C(s_j)·Pun_C(s_j) + (1 − q_C(s_j))·X_C(j+1)]

    and cheating from k is worth X_C(k) plus the upfront costs of C's moves due at k. Once
    caught, every move's weight (its lag if its owner would undo it, forever otherwise) does
    not depend on the state, so Pun_C(s_j) = Pun_∅(s_j) − Σ_{m∈C} loss_m with loss_m what p
    keeps of m once caught: each step is O(|C|), and the check is quadratic in the stages at
    most. Reported per stage and party: the cheat with the least slack.
    """
    k_count = len(masks)
    n = g.n_moves
    members = [np.array(bits(s), dtype=np.int64) for s in states]
    verif = _verifiability_by_state(g, members)  # [j, m]: v_m(s_j)
    pays = np.array([g.reversal_pays(m) for m in range(n)], dtype=bool)
    checks: list[CovertPathCheck] = []
    for p in range(g.n_parties):
        d = float(g.delta[p])
        perp = 1.0 / (1.0 - d)
        own = g.owner == p
        weight = np.where(pays, g.lasting[p], perp)
        loss = g.flow[:, p] * weight - np.where(pays & own, g.reversal_cost, 0.0)
        pun0 = np.array([loss[idx].sum() for idx in members]) - float(g.penalty[p]) * perp
        a = np.zeros(k_count + 1)  # a[j] = u_p(s_j) − o_p(S_j)
        for j in range(1, k_count + 1):
            a[j] = flow_utility(g, states[j], p) - one_time_cost(g, masks[j - 1], p)
        u_end = flow_utility(g, states[-1], p)
        for k in range(1, k_count + 1):
            stage_own = masks[k - 1] & g.owned(p)
            hidden = [
                int(m)
                for m in members[k]
                if own[m] and verif[k, m] < 1.0 and (g.reversible[m] or (stage_own >> int(m)) & 1)
            ]
            comply = float(values[k - 1, p])
            worst_x: float | None = None
            worst_combo: tuple[int, ...] = ()
            for combo in _path_cheats(hidden):
                idx = np.array(combo, dtype=np.int64)
                gain = float(-g.flow[idx, p].sum())
                lost = float(loss[idx].sum())
                q = 1.0 - np.prod(1.0 - verif[k:, idx], axis=1)  # q_C(s_j), j = k..K
                x_end = (u_end + gain + d * q[-1] * (pun0[-1] - lost)) / (1.0 - d * (1.0 - q[-1]))
                # X_C(k) = Σ_j c_j Π_{i<j} r_i + Π_i r_i·X_C(K+1), with c_j and r_j of the recursion
                c = a[k:] + gain + d * q * (pun0[k:] - lost)
                r = d * (1.0 - q)
                reach = np.concatenate(([1.0], np.cumprod(r)))
                x = float((c * reach[:-1]).sum() + reach[-1] * x_end)
                x += float(g.upfront[[m for m in combo if (stage_own >> m) & 1]].sum())
                if worst_x is None or comply - x < comply - worst_x:
                    worst_x, worst_combo = x, combo
            worst: CovertPathCheck | None = None
            if worst_x is not None:
                worst = CovertPathCheck(
                    stage=k,
                    party=g.party_ids[p],
                    cheat=g.ids(sum(1 << m for m in worst_combo)),
                    comply=comply,
                    deviate=worst_x,
                    slack=comply - worst_x,
                    holds=comply - worst_x >= -TOLERANCE,
                )
            if worst is not None:
                checks.append(worst)
                if not worst.holds:
                    failures.append(
                        Failure(
                            kind="path-covert",
                            stage=k,
                            party=worst.party,
                            shortfall=-worst.slack,
                            sentence=explain.path_covert_failure(
                                words, worst.party, k, worst.cheat, worst.comply, worst.deviate
                            ),
                        )
                    )
    return _Path(checks)


def _verifiability_by_state(g: Game, members: list[NDArray[np.int64]]) -> FloatArray:
    """v_m(s_j) for every state of the schedule: the move's verifiability, raised by every move
    in effect that helps verify it."""
    with_ = g.verifiability_with
    out = np.empty((len(members), g.n_moves))
    for j, idx in enumerate(members):
        v = g.verifiability.copy()
        if len(idx):
            v = np.maximum(v, with_[:, idx].max(axis=1))
        out[j] = v
    return out


def _path_cheats(hidden: list[int]) -> list[tuple[int, ...]]:
    """Every set of up to MAX_PATH_CHEAT_SIZE moves of ``hidden``, or, when that makes more
    than MAX_PATH_CHEAT_SETS sets, each move alone and all of them."""
    count = sum(comb(len(hidden), r) for r in range(1, min(MAX_PATH_CHEAT_SIZE, len(hidden)) + 1))
    if count > MAX_PATH_CHEAT_SETS:
        return [(m,) for m in hidden] + [tuple(hidden)]
    out: list[tuple[int, ...]] = []
    for size in range(1, min(MAX_PATH_CHEAT_SIZE, len(hidden)) + 1):
        out.extend(combinations(hidden, size))
    return out


def audit_proposal(scenario: Scenario, proposal_id: str, game: Game | None = None) -> AuditResult:
    known = [p.id for p in scenario.proposals]
    if proposal_id not in known:
        raise ScheduleError(
            scenario.origin,
            "proposal",
            f"unknown proposal {proposal_id!r}{did_you_mean(proposal_id, known)} (known: {', '.join(known) or 'none'})",
        )
    prop = scenario.proposal(proposal_id)
    return audit_schedule(scenario, [list(s) for s in prop.stages], proposal_id, game)
