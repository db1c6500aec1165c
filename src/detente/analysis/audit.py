"""The audit of one schedule (MODEL.md section 8): every stage, the final agreement, the path.

Pure maths over a compiled :class:`Game`, wrapped into an :class:`AuditResult` with words.
"""

from __future__ import annotations

from itertools import combinations

from detente.analysis import explain
from detente.errors import ScheduleError
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
from detente.model.stability import (
    cheat_gain,
    covert_final,
    covert_value,
    detection_probability,
    overt_final,
    punishment,
    verifiability_in,
)
from detente.results import (
    AuditResult,
    CovertPathCheck,
    DeviationInfo,
    Failure,
    FinalCheck,
    FinalSummary,
    StageCheck,
)
from detente.scenario.model import Scenario

MAX_PATH_CHEAT_SIZE = 6  # section 8: every set of up to 6 unverifiable moves


def parse_stages(text: str) -> list[list[str]]:
    """``"a1,b2;b1"`` → ``[["a1", "b2"], ["b1"]]``: stages split by ';', moves by ','."""
    stages = [[m.strip() for m in part.split(",") if m.strip()] for part in text.split(";")]
    if not text.strip():
        raise ScheduleError("--stages: empty schedule; write stages as \"a1,b2;b1\"")
    for k, stage in enumerate(stages, start=1):
        if not stage:
            raise ScheduleError(f"--stages: stage {k} is empty; write stages as \"a1,b2;b1\"")
    return stages


def schedule_masks(g: Game, stages: list[list[str]], where: str = "--stages") -> list[int]:
    """Stage masks of a schedule of move ids, checked: known, free, used once."""
    index = {mid: i for i, mid in enumerate(g.move_ids)}
    seen: set[str] = set()
    masks = []
    for k, stage in enumerate(stages, start=1):
        mask = 0
        for mid in stage:
            if mid not in index:
                raise ScheduleError(f"{where}: stage {k}: unknown move {mid!r}")
            if (g.initial >> index[mid]) & 1:
                raise ScheduleError(f"{where}: stage {k}: move {mid!r} is already in effect")
            if mid in seen:
                raise ScheduleError(f"{where}: stage {k}: move {mid!r} appears twice")
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
    where = f"proposals[{proposal}]" if proposal else "--stages"
    masks = schedule_masks(g, stages, f"{scenario.origin}: {where}")
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
        hard = [f for f in failures if f.kind != "path-covert"]
        reason = hard[0].sentence if hard else "Not self-enforcing."
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
    """Section 8: cheating on C from stage k on, the schedule going on while undetected.

    X(K+1) is the stationary X_C of section 5; for j = K..k,
    X(j) = u_p(s_j) − o_p(S_j) + gain_C + δ_p [q_C(s_j)·Pun(s_j) + (1 − q_C(s_j))·X(j+1)].
    Reported per stage and party: the cheat with the least slack.
    """
    vals = values
    k_count = len(masks)
    checks: list[CovertPathCheck] = []
    for p in range(g.n_parties):
        d = float(g.delta[p])
        for k in range(1, k_count + 1):
            s_k = states[k]
            hidden = [m for m in bits(s_k & g.owned(p)) if verifiability_in(g, m, s_k) < 1.0]
            worst: CovertPathCheck | None = None
            for size in range(1, min(MAX_PATH_CHEAT_SIZE, len(hidden)) + 1):
                for combo in combinations(hidden, size):
                    cheat = sum(1 << m for m in combo)
                    gain = cheat_gain(g, cheat, p)
                    x = covert_value(g, states[-1], cheat, p)
                    for j in range(k_count, k - 1, -1):
                        s_j = states[j]
                        q = detection_probability(g, s_j, cheat)
                        pun = punishment(g, s_j, cheat, p)
                        a = flow_utility(g, s_j, p) - one_time_cost(g, masks[j - 1], p)
                        x = a + gain + d * (q * pun + (1.0 - q) * x)
                    comply = float(vals[k - 1, p])
                    check = CovertPathCheck(
                        stage=k,
                        party=g.party_ids[p],
                        cheat=g.ids(cheat),
                        comply=comply,
                        deviate=float(x),
                        slack=comply - float(x),
                        holds=comply - float(x) >= -TOLERANCE,
                    )
                    if worst is None or check.slack < worst.slack:
                        worst = check
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


def audit_proposal(scenario: Scenario, proposal_id: str, game: Game | None = None) -> AuditResult:
    known = [p.id for p in scenario.proposals]
    if proposal_id not in known:
        raise ScheduleError(
            f"{scenario.origin}: proposals: unknown proposal {proposal_id!r} (known: {', '.join(known) or 'none'})"
        )
    prop = scenario.proposal(proposal_id)
    return audit_schedule(scenario, [list(s) for s in prop.stages], proposal_id, game)
