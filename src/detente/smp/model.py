"""KTAB's Spatial Model of Politics (SMP), default configuration, as pure numpy functions.

Positions and saliences are on the 0-1 scale. N actors, D dimensions. See docs/model.md, "The
multi-actor forecast", for the model and ``detente.smp`` for what KTAB's reference log settled
where a written description of the model is silent or differs from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FArr = npt.NDArray[np.float64]
IArr = npt.NDArray[np.int64]

#: added to each coalition strength of a Condorcet election (KTAB's Model::coalitions)
CONDORCET_EPS = 1e-8
#: added to the base coalitions of a challenge's probability (step 6)
CHALLENGE_EPS = 1e-10
#: an actor challenges only if its best expected gain exceeds this
MIN_GAIN = 1e-5
#: added to each side's own weight in the bargain's weighted mean (step 8)
BARGAIN_EPS = 1e-6
#: decimals (0-1 scale) to which bargain coordinates are rounded, half up
BARGAIN_DECIMALS = 4
#: two positions closer than this (Euclidean, 0-1 scale) are one option in the winning election
UNIQUE_TOL = 1e-3
#: the run stops when the fractional change falls below this (from turn 2 on)
STOP_RATIO = 0.02
#: added to the first turn's movement in the denominator of the fractional change
STOP_EPS = 1e-4

#: how an actor's queue election picks its item (step 9): KTAB's default takes the most
#: probable item; the stochastic variant samples it from the election's probabilities
Transition = Literal["deterministic", "stochastic"]
TRANSITIONS: tuple[Transition, ...] = ("deterministic", "stochastic")


def distances(ideal: FArr, pos: FArr, sal: FArr) -> FArr:
    """Salience-weighted distance d[i, j] from i's ideal to position j, with i's saliences.

    ``ideal`` (N, D), ``pos`` (M, D), ``sal`` (N, D) -> (N, M):
    d_ij = sqrt(sum_k s_ik^2 (y_ik - x_jk)^2 / sum_k s_ik^2). An actor without salience is
    indifferent (distance 0 to everything).
    """
    s2 = sal * sal
    diff = ideal[:, None, :] - pos[None, :, :]
    num = np.einsum("nk,nmk->nm", s2, diff * diff)
    den = s2.sum(axis=1)[:, None]
    safe = np.where(den > 0.0, den, 1.0)
    out: FArr = np.sqrt(np.where(den > 0.0, num / safe, 0.0))
    return out


def risk_utility(d: FArr, r: FArr | float) -> FArr:
    """Risk-aware utility of distance d with risk attitude R: (1-d)(1+dR), (1-d)(1+R) if d>1."""
    dd = np.asarray(d, dtype=np.float64)
    rr = np.asarray(r, dtype=np.float64)
    out: FArr = np.where(dd <= 1.0, (1.0 - dd) * (1.0 + dd * rr), (1.0 - dd) * (1.0 + rr))
    return out


def condorcet_pairwise(u: FArr, w: FArr) -> FArr:
    """Pairwise victory probabilities P[i > j] of options under proportional voting.

    ``u`` (N actors, M options) utilities, ``w`` (N,) voting weights. Actor k's vote for i over
    j is w_k (u_ki - u_kj); C(i:j) = 1e-8 + sum of the positive votes; P = C_ij/(C_ij + C_ji),
    and P[i > i] = 1/2.
    """
    votes = w[:, None, None] * (u[:, :, None] - u[:, None, :])  # (N, M, M)
    c = CONDORCET_EPS + np.maximum(votes, 0.0).sum(axis=0)
    p: FArr = c / (c + c.T)
    np.fill_diagonal(p, 0.5)
    return p


def condorcet_probs(u: FArr, w: FArr) -> FArr:
    """Conditional PCE: p_i proportional to prod_j P[i > j] (step 3), summing to 1."""
    p = np.prod(condorcet_pairwise(u, w), axis=1)
    out: FArr = p / p.sum()
    return out


def risk_attitudes(p: FArr) -> FArr:
    """BigRRange Mid: R_i = (3p_i - (p_max + 2 p_min)) / (2 (p_max - p_min)), in [-1/2, 1].

    All equal probabilities give risk neutrality (0) everywhere.
    """
    pmax = float(p.max())
    pmin = float(p.min())
    if pmax - pmin <= 1e-9 * pmax:
        # equal up to rounding: the quotient below would be noise (KTAB's runs never get here)
        return np.zeros_like(p)
    # KTAB's arithmetic, kept exactly as written: another order of operations, or clipping a
    # result a rounding error above 1, flips a near-tie of the reference run at turn 25
    out: FArr = (3.0 * p - (pmax + 2.0 * pmin)) / (2.0 * (pmax - pmin))
    return out


def estimated_utilities(d: FArr, r: FArr) -> FArr:
    """BigRAdjust OneThird: U[h, i, j] = u(d_ij, (2 R_h + R_i) / 3), every observer h at once."""
    rh = (2.0 * r[:, None] + r[None, :]) / 3.0  # (h, i)
    out: FArr = risk_utility(d[None, :, :], rh[:, :, None])
    return out


def challenge_values(i: int, u: FArr, sigma: FArr, cap: FArr) -> tuple[FArr, FArr]:
    """Expected gain to i of challenging each j, and P[i beats j], both as i sees them (step 6).

    ``u`` is i's estimate U^i (N, N) of everyone's risk-aware utilities. Returns (dEU, P) of
    shape (N,); entry i itself is -inf / 1/2.
    """
    n_act = u.shape[0]
    sc = sigma * cap
    uii = u[i, i]
    uij = u[i, :]
    eu_sq = uii + uij
    u_vict = 2.0 * uii
    u_loss = 2.0 * uij
    a_i = sc[i] * (uii - uij)  # over j
    a_j = sc * (u[:, i] - np.diag(u))  # over j: sigma_j c_j (U_ji - U_jj)
    b_ij = CHALLENGE_EPS + np.maximum(a_i, 0.0) + np.maximum(a_j, 0.0)
    b_ji = CHALLENGE_EPS + np.maximum(-a_i, 0.0) + np.maximum(-a_j, 0.0)
    # third parties n, as a (j, n) matrix
    uni = u[:, i][None, :]  # U_ni
    unj = u.T  # [j, n] = U_nj
    unn = np.diag(u)[None, :]
    e = sc[None, :] * (uni - unj)
    ep = np.maximum(e, 0.0)
    en = np.maximum(-e, 0.0)
    p_in = (b_ij[:, None] + ep) / (b_ij[:, None] + ep + b_ji[:, None] + en)
    u_join_i = p_in * (2.0 * uni + unn) + (1.0 - p_in) * (3.0 * unj)
    u_join_j = p_in * (3.0 * uni) + (1.0 - p_in) * (2.0 * unj + unn)
    vote = sc[None, :] * (u_join_i - u_join_j)
    third = np.ones((n_act, n_act), dtype=bool)
    third[:, i] = False
    third[np.arange(n_act), np.arange(n_act)] = False
    c_ij = b_ij + np.where(third, np.maximum(vote, 0.0), 0.0).sum(axis=1)
    c_ji = b_ji + np.where(third, np.maximum(-vote, 0.0), 0.0).sum(axis=1)
    p = c_ij / (c_ij + c_ji)
    eu_contest = p * u_vict + (1.0 - p) * u_loss
    eu_chlg = (1.0 - sigma) * u_vict + sigma * eu_contest
    gain = eu_chlg - eu_sq
    gain[i] = -np.inf
    p[i] = 0.5
    return gain, p


def round_half_up(x: FArr, decimals: int = BARGAIN_DECIMALS) -> FArr:
    """Round half up (towards +inf at exact halves) to ``decimals`` places."""
    scale = 10.0**decimals
    out: FArr = np.floor(np.asarray(x) * scale + 0.5) / scale
    return out


def bargain(xi: FArr, xj: FArr, si: FArr, sj: FArr, p: float) -> tuple[FArr, FArr]:
    """S2P2 bargain between initiator i and target j that i beats with probability p (step 8).

    Per dimension w_i = s_ik^2 p^2, w_j = s_jk^2 (1-p)^2; each side leans towards itself by
    1e-6; coordinates rounded half up to 4 decimals. Returns (i's new position, j's).
    """
    wi = si * si * p * p
    wj = sj * sj * (1.0 - p) * (1.0 - p)
    bi = ((wi + BARGAIN_EPS) * xi + wj * xj) / (wi + BARGAIN_EPS + wj)
    bj = (wi * xi + (wj + BARGAIN_EPS) * xj) / (wi + wj + BARGAIN_EPS)
    return round_half_up(bi), round_half_up(bj)


@dataclass(frozen=True)
class TurnOutcome:
    """Everything one turn computed, from the state it started in to the next positions."""

    risk: FArr  # (N,) risk attitudes R of the starting state
    win_prob: FArr  # (N,) winning probability of each actor's starting position
    target: IArr  # (N,) whom each actor challenged, -1 for nobody
    gain: FArr  # (N,) the expected gain of that challenge (nan for nobody)
    prob: FArr  # (N,) P[i beats target] as i sees it (nan for nobody)
    bargain_init: FArr  # (N, D) the initiator's new position from its bargain (nan for nobody)
    bargain_target: FArr  # (N, D) the target's new position from that bargain
    queue: list[list[int]]  # per actor: its queue, -1 the status quo, m the bargain of initiator m
    queue_prob: list[FArr]  # per actor: the election's probabilities over its queue
    chosen: IArr  # (N,) the queue item each actor took (-1 status quo, m bargain of initiator m)
    positions: FArr  # (N, D) positions after the turn


def state_utilities(pos: FArr, ideal: FArr, sal: FArr, cap: FArr) -> tuple[FArr, FArr, FArr]:
    """Distances, risk attitudes and the objective risk-aware utilities of a state (steps 1-5).

    Risk attitudes come from a Condorcet election over all N positions (duplicates counted
    as separate options) with risk-neutral utilities 1 - d and capability weights.
    """
    d = distances(ideal, pos, sal)
    p = condorcet_probs(1.0 - d, cap)
    r = risk_attitudes(p)
    u_obj = risk_utility(d, r[:, None])
    return d, r, u_obj


def unique_options(pos: FArr, tol: float = UNIQUE_TOL) -> IArr:
    """For each actor, the index of the first actor whose position is within ``tol`` of its."""
    n_act = pos.shape[0]
    rep = np.arange(n_act)
    for i in range(n_act):
        for j in range(i):
            if rep[j] == j and float(np.linalg.norm(pos[i] - pos[j])) < tol:
                rep[i] = j
                break
    return rep


def winning_probabilities(u_obj: FArr, cap: FArr, pos: FArr) -> FArr:
    """Each actor's position's probability of winning a Condorcet election over unique positions.

    Voters use their own risk-aware utilities (the objective matrix); an actor whose position
    equals an earlier one shares that option's probability.
    """
    rep = unique_options(pos)
    opts = np.unique(rep)
    p = condorcet_probs(u_obj[:, opts], cap)
    where = np.searchsorted(opts, rep)
    out: FArr = p[where]
    return out


def sample_item(prob: FArr, u: float) -> int:
    """The item an election with probabilities ``prob`` gives for a uniform draw ``u`` in [0, 1):
    the first index whose cumulative probability exceeds ``u`` times the total (inverse CDF).
    An item of probability 0 is never taken; one of probability 1 always is."""
    c = np.cumsum(prob)
    k = int(np.searchsorted(c, u * c[-1], side="right"))
    return min(k, len(prob) - 1)


def smp_turn(
    pos: FArr,
    ideal: FArr,
    sal: FArr,
    cap: FArr,
    transition: Transition = "deterministic",
    rng: np.random.Generator | None = None,
) -> TurnOutcome:
    """One turn of the SMP (steps 1-9) from positions ``pos``.

    ``transition="stochastic"`` samples each actor's queue item from its election's
    probabilities with ``rng`` (one uniform per actor and turn, drawn whether or not its queue
    has a choice, so the stream stays aligned across runs); the default takes the most probable.
    """
    n_act, n_dim = pos.shape
    draws = np.zeros(n_act)
    if transition == "stochastic":
        if rng is None:
            raise ValueError("the stochastic transition needs a random generator")
        draws = np.asarray(rng.random(n_act), dtype=np.float64)
    elif transition != "deterministic":
        raise ValueError(f"unknown transition {transition!r}: use one of {', '.join(TRANSITIONS)}")
    sigma = sal.sum(axis=1)
    d, r, u_obj = state_utilities(pos, ideal, sal, cap)
    win = winning_probabilities(u_obj, cap, pos)
    u_est = estimated_utilities(d, r)  # (h, i, j)

    target = np.full(n_act, -1, dtype=np.int64)
    gain = np.full(n_act, np.nan)
    prob = np.full(n_act, np.nan)
    b_init = np.full((n_act, n_dim), np.nan)
    b_tgt = np.full((n_act, n_dim), np.nan)
    for i in range(n_act):
        g, p = challenge_values(i, u_est[i], sigma, cap)
        j = int(np.argmax(g))
        if g[j] > MIN_GAIN:
            target[i] = j
            gain[i] = g[j]
            prob[i] = p[j]
            b_init[i], b_tgt[i] = bargain(pos[i], pos[j], sal[i], sal[j], float(p[j]))

    # every actor a values each bargain by the mean of its utility over all N positions after it
    sq_value = u_obj.mean(axis=1)  # (N,)
    value = np.full((n_act, n_act), np.nan)  # [a, m]: a's value of the bargain of initiator m
    for m in (int(v) for v in np.flatnonzero(target >= 0)):
        j = int(target[m])
        moved = np.stack([b_init[m], b_tgt[m]])  # (2, D)
        u_moved = risk_utility(distances(ideal, moved, sal), r[:, None])  # (N, 2)
        keep = np.ones(n_act, dtype=bool)
        keep[m] = False
        keep[j] = False
        value[:, m] = (u_obj[:, keep].sum(axis=1) + u_moved.sum(axis=1)) / n_act

    new_pos = pos.copy()
    queues: list[list[int]] = []
    queue_probs: list[FArr] = []
    chosen = np.full(n_act, -1, dtype=np.int64)
    for k in range(n_act):
        items = [-1] + [m for m in range(n_act) if target[m] >= 0 and (m == k or target[m] == k)]
        queues.append(items)
        if len(items) == 1:
            queue_probs.append(np.ones(1))
            continue
        u_items = np.column_stack([sq_value] + [value[:, m] for m in items[1:]])
        qp = condorcet_probs(u_items, cap)
        queue_probs.append(qp)
        pick = int(np.argmax(qp)) if transition == "deterministic" else sample_item(qp, float(draws[k]))
        best = items[pick]
        chosen[k] = best
        if best >= 0:
            new_pos[k] = b_init[best] if best == k else b_tgt[best]
    return TurnOutcome(
        risk=r,
        win_prob=win,
        target=target,
        gain=gain,
        prob=prob,
        bargain_init=b_init,
        bargain_target=b_tgt,
        queue=queues,
        queue_prob=queue_probs,
        chosen=chosen,
        positions=new_pos,
    )


def total_movement(a: FArr, b: FArr) -> float:
    """Sum over actors of the Euclidean distance between their positions in two states."""
    return float(np.linalg.norm(a - b, axis=1).sum())


@dataclass(frozen=True)
class RunOutcome:
    """A whole run: states 0..T, the T turns between them and their fractional changes."""

    positions: list[FArr]  # T+1 states, (N, D) each
    turns: list[TurnOutcome]  # T turns; turn t leads from state t to state t+1
    fractional_change: list[float]  # T values, one after each turn
    final_risk: FArr  # risk attitudes of the last state
    final_win_prob: FArr  # winning probabilities of the last state


def run_positions(
    pos0: FArr,
    sal: FArr,
    cap: FArr,
    max_turns: int = 100,
    ideal: FArr | None = None,
    transition: Transition = "deterministic",
    rng: np.random.Generator | None = None,
) -> RunOutcome:
    """Turns until the stopping rule: after turn t (state t), stop if t >= max_turns, or if
    t >= 2 and the movement of turn t over (that of turn 1 + 1e-4) is below 0.02.

    Ideals follow positions (identity accommodation): each turn's ideals are the positions
    it starts from, unless fixed ``ideal`` are given. ``transition`` and ``rng``: see
    :func:`smp_turn`.
    """
    states = [pos0.copy()]
    turns: list[TurnOutcome] = []
    changes: list[float] = []
    first = 0.0
    while True:
        outcome = smp_turn(states[-1], states[-1] if ideal is None else ideal, sal, cap, transition, rng)
        turns.append(outcome)
        states.append(outcome.positions)
        t = len(turns)
        moved = total_movement(states[-1], states[-2])
        if t == 1:
            first = moved
        ratio = moved / (first + STOP_EPS)
        changes.append(ratio)
        if t >= max_turns or (t >= 2 and ratio < STOP_RATIO):
            break
    last_ideal = states[-1] if ideal is None else ideal
    _, r, u_obj = state_utilities(states[-1], last_ideal, sal, cap)
    win = winning_probabilities(u_obj, cap, states[-1])
    return RunOutcome(states, turns, changes, r, win)
