"""FROZEN COPY for benchmarks only (commit 99c9c35, before branch and bound); do not edit.

The compiled inner loop of the sequencing DP (docs/model.md, "The solver"), in numba.

States are masks over the free moves (bits 0..n_free−1); the full state adds ``initial``.
For each state, processed from the largest mask down (a stage only adds moves), the kernel
builds the Pareto frontier of plans over (V_1..V_P, −stages), with 'Which deal''s tie-break for
equal vectors. Values are computed with exactly the operations of :mod:`detente.model.payoffs`
so that solver and audit agree bit for bit; deviations ('Deviations' (docs/model.md)) and the final checks
('The final agreement' (docs/model.md)) are re-implemented here and cross-checked against the Python reference in tests.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TOL = 1e-9
NEG_INF = -np.inf


@njit(cache=True)
def _sum_flow(mask, p, flow, n_total):  # type: ignore[no-untyped-def]
    total = 0.0
    for i in range(n_total):
        if (mask >> i) & 1:
            total += flow[i, p]
    return total


@njit(cache=True)
def _one_time(stage, p, owner, upfront, unrec, n_total):  # type: ignore[no-untyped-def]
    total = 0.0
    owners = 0
    for i in range(n_total):
        if (stage >> i) & 1:
            owners |= np.int64(1) << owner[i]
            if owner[i] == p:
                total += upfront[i]
    if owners == (np.int64(1) << p):
        total += unrec[p]
    return total


@njit(cache=True)
def _lowest_bit_index(mask):  # type: ignore[no-untyped-def]
    i = 0
    while not (mask >> i) & 1:
        i += 1
    return i


@njit(cache=True)
def _deviation(s, stage, p, own, own_rev, own_pays, snap_others, flow, rc, lasting, lasting_next, tail, delta, penalty, n_total):  # type: ignore[no-untyped-def]
    """D_p(s, S) of docs/model.md, "Deviations" (with reversal lags), or −inf when p has no
    deviation: the same sums, in the same order, as ``model.deviation.overt_deviation``."""
    skipped = stage & own[p]
    orev = s & own_rev[p]
    rev = s & own_pays[p]
    d = delta[p]
    if skipped == 0:
        if orev == 0:
            return NEG_INF
        if rev == 0:
            best = -1
            best_val = NEG_INF
            for i in range(n_total):
                if (orev >> i) & 1:
                    v = -flow[i, p] * tail[p, i] - rc[i]
                    if v > best_val:
                        best_val = v
                        best = i
            rev = np.int64(1) << best
    x = s | (stage & ~own[p])
    snapped = x & snap_others[p]
    perp = 1.0 / (1.0 - d)
    total = 0.0
    rtot = 0.0
    for i in range(n_total):
        if (x >> i) & 1:
            if (rev >> i) & 1:
                w = lasting[p, i]
                rtot += rc[i]
            elif (snapped >> i) & 1:
                w = lasting_next[p, i]
            else:
                w = perp
            total += flow[i, p] * w
    return total - rtot - d * penalty[p] / (1.0 - d)


@njit(cache=True)
def _verif(m, s, verif, verif_with, n_total):  # type: ignore[no-untyped-def]
    v = verif[m]
    for e in range(n_total):
        if (s >> e) & 1:
            w = verif_with[m, e]
            if w > v:
                v = w
    return v


@njit(cache=True)
def _final_best(s, a, own, own_rev, own_pays, snap_others, flow, rc_a, lasting, lasting_next, tail, delta, penalty, verif, verif_with, n_total, max_exhaustive, hidden, work, enough):  # type: ignore[no-untyped-def]
    """The best deviation of party (or agent) ``a`` from the final agreement s, overt or
    covert (docs/model.md, "The final agreement"), or −inf when it has none. ``rc_a`` holds
    the reversal costs it pays. Covert cheating is on its reversible, imperfectly verifiable
    moves only.

    Every term of a covert cheat's value is a sum (or, for the chance of going unnoticed, a
    product) over the cheated moves, so the 2^h subsets are tabulated each from the subset
    without its highest move: O(2^h) work in all instead of O(2^h · n²). This check runs at
    every full state of the DP and was most of a solve's time. ``hidden`` and ``work`` are
    scratch space (``work_space``), passed in so the hot loop allocates nothing. The search
    stops at the first deviation worth more than ``enough`` (a stability check needs no more;
    pass +inf for the best).
    """
    d = delta[a]
    u = _sum_flow(s, a, flow, n_total)
    best = _deviation(s, np.int64(0), a, own, own_rev, own_pays, snap_others, flow, rc_a, lasting, lasting_next, tail, delta, penalty, n_total)
    if best > enough:
        return best
    nh = 0
    for i in range(n_total):
        if (s >> i) & 1 and (own_rev[a] >> i) & 1:
            if _verif(i, s, verif, verif_with, n_total) < 1.0:
                hidden[nh] = i
                nh += 1
    if nh == 0:
        return best
    # with nothing cheated, once caught: each move's flow over the periods it lasts (own
    # paying reversals and the others' snapback last their lag, the rest forever), and the
    # reversal costs paid
    pays = s & own_pays[a]
    gone = pays | (s & snap_others[a])
    perp = 1.0 / (1.0 - d)
    keep0 = 0.0
    rtot0 = 0.0
    for i in range(n_total):
        if (s >> i) & 1:
            if (gone >> i) & 1:
                keep0 += flow[i, a] * lasting[a, i]
            else:
                keep0 += flow[i, a] * perp
            if (pays >> i) & 1:
                rtot0 += rc_a[i]
    # per hidden move: unnoticed factor, flow saved, flow lost after the snapback, reversal saved
    unseen = work[0]
    saved = work[1]
    lost = work[2]
    spared = work[3]
    for j in range(nh):
        i = hidden[j]
        unseen[j] = 1.0 - _verif(i, s, verif, verif_with, n_total)
        saved[j] = -flow[i, a]
        lost[j] = flow[i, a] * (lasting[a, i] if (gone >> i) & 1 else perp)
        spared[j] = rc_a[i] if (pays >> i) & 1 else 0.0
    if nh <= max_exhaustive:
        n_sets = np.int64(1) << nh
        miss = work[4]
        gain = work[5]
        keep = work[6]
        rtot = work[7]
        miss[0] = 1.0
        gain[0] = 0.0
        keep[0] = keep0
        rtot[0] = rtot0
        top = 0
        for k in range(1, n_sets):
            if (k >> (top + 1)) & 1:
                top += 1
            r = k ^ (np.int64(1) << top)
            miss[k] = miss[r] * unseen[top]
            gain[k] = gain[r] + saved[top]
            keep[k] = keep[r] - lost[top]
            rtot[k] = rtot[r] - spared[top]
            x = _covert_value(u, d, miss[k], gain[k], keep[k], rtot[k], penalty[a])
            if x > best:
                best = x
                if best > enough:
                    return best
        return best
    # too many to enumerate: each move alone, then all of them ('The final agreement' (docs/model.md))
    m_all = 1.0
    g_all = 0.0
    k_all = keep0
    r_all = rtot0
    for j in range(nh):
        x = _covert_value(u, d, unseen[j], saved[j], keep0 - lost[j], rtot0 - spared[j], penalty[a])
        if x > best:
            best = x
        m_all *= unseen[j]
        g_all += saved[j]
        k_all -= lost[j]
        r_all -= spared[j]
    x = _covert_value(u, d, m_all, g_all, k_all, r_all, penalty[a])
    if x > best:
        best = x
    return best


@njit(cache=True)
def _covert_value(u, d, miss, gain, keep, rtot, penalty_a):  # type: ignore[no-untyped-def]
    """X_C of 'The final agreement' (docs/model.md): cheat until caught (chance 1 − miss a period), then the punishment."""
    q = 1.0 - miss
    pun = keep - penalty_a / (1.0 - d) - rtot
    return (u + gain + d * q * pun) / (1.0 - d * (1.0 - q))


@njit(cache=True)
def work_space(n_total, max_exhaustive):  # type: ignore[no-untyped-def]
    """Scratch for ``_final_best``: the hidden moves, and rows for their terms and subsets."""
    return np.empty(n_total, dtype=np.int64), np.empty((8, max(n_total, np.int64(1) << max_exhaustive)))


@njit(cache=True)
def _is_stable(s, P, own, own_rev, own_pays, snap_others, flow, rc, lasting, lasting_next, tail, delta, penalty, verif, verif_with, n_total, max_exhaustive, hidden, work):  # type: ignore[no-untyped-def]
    """Overt and covert stability of the full state s (docs/model.md, "The final agreement")."""
    for p in range(P):  # the overt deviations first: they break most states, and cost little
        comply = _sum_flow(s, p, flow, n_total) / (1.0 - delta[p])
        if _deviation(s, np.int64(0), p, own, own_rev, own_pays, snap_others, flow, rc, lasting, lasting_next, tail, delta, penalty, n_total) > comply + TOL:
            return False
    for p in range(P):
        comply = _sum_flow(s, p, flow, n_total) / (1.0 - delta[p])
        if _final_best(s, p, own, own_rev, own_pays, snap_others, flow, rc, lasting, lasting_next, tail, delta, penalty, verif, verif_with, n_total, max_exhaustive, hidden, work, comply + TOL) > comply + TOL:
            return False
    return True


@njit(cache=True)
def _lexcmp(a, b):  # type: ignore[no-untyped-def]
    """Compare two stages as ascending index lists: −1, 0 or 1."""
    while True:
        if a == 0 and b == 0:
            return 0
        if a == 0:
            return -1
        if b == 0:
            return 1
        la = a & -a
        lb = b & -b
        if la != lb:
            return -1 if la < lb else 1
        a ^= la
        b ^= lb


@njit(cache=True)
def _keycmp(sa, na, sb, nb, ent_stage, ent_next):  # type: ignore[no-untyped-def]
    """Compare two plans with the same number of stages by 'Which deal''s lexicographic key."""
    while True:
        if sa != sb:
            return _lexcmp(sa, sb)
        if na == nb or na < 0 or nb < 0:
            return 0
        sa, na, sb, nb = ent_stage[na], ent_next[na], ent_stage[nb], ent_next[nb]


@njit(cache=True)
def _dominates(va, ja, sa, na, vb, jb, sb, nb, P, ent_stage, ent_next):  # type: ignore[no-untyped-def]
    """Whether plan a makes plan b redundant (Pareto over values and −stages, then the key)."""
    if ja > jb:
        return False
    strictly = ja < jb
    for p in range(P):
        if va[p] < vb[p] - TOL:
            return False
        if va[p] > vb[p] + TOL:
            strictly = True
    if strictly:
        return True
    return _keycmp(sa, na, sb, nb, ent_stage, ent_next) <= 0


@njit(cache=True)
def _offer_any(c, nk, P, c_val, c_j, c_stage, c_next, kept, ent_stage, ent_next):  # type: ignore[no-untyped-def]
    """Offer candidate c to the frontier ``kept``, for any number of parties: O(frontier).

    Returns the new frontier size, or −1 if c is dominated (and so not kept).
    """
    for ki in range(nk):
        k = kept[ki]
        if _dominates(c_val[k], c_j[k], c_stage[k], c_next[k], c_val[c], c_j[c], c_stage[c], c_next[c], P, ent_stage, ent_next):
            return -1
    w = 0
    for ki in range(nk):
        k = kept[ki]
        if not _dominates(c_val[c], c_j[c], c_stage[c], c_next[c], c_val[k], c_j[k], c_stage[k], c_next[k], P, ent_stage, ent_next):
            kept[w] = k
            w += 1
    kept[w] = c
    return w + 1


@njit(cache=True)
def _offer_two(c, nk, c_val, c_j, c_stage, c_next, kept, prefmax, ent_stage, ent_next):  # type: ignore[no-untyped-def]
    """Offer candidate c (two parties, candidates in decreasing V_0): about O(1).

    Every kept plan has V_0 at least c's. ``prefmax[j]`` is the largest V_1 among kept plans
    with at most j stages: c clearly below it is dominated, clearly above it is not; only
    near-ties (within the tolerance) fall back to the exact pairwise rule of
    :func:`_dominates`. Returns the new frontier size, or −1 if c is not kept.
    """
    nj = prefmax.shape[0]
    jc = c_j[c]
    v1 = c_val[c, 1]
    q = prefmax[jc]
    if q > v1 + TOL:
        return -1
    if q >= v1 - TOL:
        for ki in range(nk):
            k = kept[ki]
            if _dominates(c_val[k], c_j[k], c_stage[k], c_next[k], c_val[c], jc, c_stage[c], c_next[c], 2, ent_stage, ent_next):
                return -1
    # c may only dominate kept plans whose V_0 is within the tolerance of its own
    removed = False
    ki = nk - 1
    while ki >= 0 and c_val[kept[ki], 0] <= c_val[c, 0] + TOL:
        k = kept[ki]
        if _dominates(c_val[c], jc, c_stage[c], c_next[c], c_val[k], c_j[k], c_stage[k], c_next[k], 2, ent_stage, ent_next):
            kept[ki] = -1
            removed = True
        ki -= 1
    if removed:
        w = 0
        for ki in range(nk):
            if kept[ki] >= 0:
                kept[w] = kept[ki]
                w += 1
        nk = w
        for j in range(nj):
            prefmax[j] = NEG_INF
        for ki in range(nk):
            k = kept[ki]
            for j in range(c_j[k], nj):
                if c_val[k, 1] > prefmax[j]:
                    prefmax[j] = c_val[k, 1]
    kept[nk] = c
    for j in range(jc, nj):
        if v1 > prefmax[j]:
            prefmax[j] = v1
    return nk + 1


@njit(cache=True)
def _sift_down(heap, key, nh, i):  # type: ignore[no-untyped-def]
    while True:
        left = 2 * i + 1
        if left >= nh:
            return
        big = left
        right = left + 1
        if right < nh and key[heap[right]] > key[heap[left]]:
            big = right
        if key[heap[big]] <= key[heap[i]]:
            return
        heap[i], heap[big] = heap[big], heap[i]
        i = big


@njit(cache=True)
def _sift_up(heap, key, i):  # type: ignore[no-untyped-def]
    while i > 0:
        parent = (i - 1) // 2
        if key[heap[parent]] >= key[heap[i]]:
            return
        heap[i], heap[parent] = heap[parent], heap[i]
        i = parent


@njit(cache=True)
def _grow_rows(a, n, cap):  # type: ignore[no-untyped-def]
    out = np.empty((cap, a.shape[1]), dtype=a.dtype)
    out[:n] = a[:n]
    return out


@njit(cache=True)
def _grow(a, n, cap):  # type: ignore[no-untyped-def]
    out = np.empty(cap, dtype=a.dtype)
    out[:n] = a[:n]
    return out


@njit(cache=True)
def _ir_bounds(n_free, n_total, P, owner, upfront, unrec, requires, initial, delta, party_subsets, party_offsets, max_stages, u_tab, d):  # type: ignore[no-untyped-def]
    """Lower bounds on the values of plans worth keeping at each state (exact pruning).

    A plan from state f is only useful inside a schedule from the status quo that leaves
    every party at least its no-deal value d_p. Reaching f in k stages gives party p at most
    B_k(f, p) (the best discounted sum of stage payoffs over valid paths, IC ignored, so an
    upper bound), and the schedule's value is that prefix plus δ_p^k times the plan's value.
    So a plan of j stages worth keeping has W_p ≥ min_{k ≤ max_stages − j} (d_p − B_k(f, p))/δ_p^k;
    a small margin keeps rounding on the safe side. Unreachable (f, j) get +∞.
    """
    n_states = np.int64(1) << n_free
    best = np.full((n_states, max_stages + 1, P), NEG_INF)
    for p in range(P):
        best[0, 0, p] = 0.0
    power = np.ones((max_stages + 1, P))
    for k in range(1, max_stages + 1):
        for p in range(P):
            power[k, p] = power[k - 1, p] * delta[p]
    avail = np.empty(party_offsets[P], dtype=np.int64)
    avail_start = np.zeros(P + 1, dtype=np.int64)
    odo = np.zeros(P, dtype=np.int64)
    a = np.empty(P)
    for f_ in range(n_states):
        f = np.int64(f_)
        reached = False
        for k in range(max_stages):
            if best[f, k, 0] > NEG_INF:
                reached = True
                break
        if not reached:
            continue
        pos = 0
        for p in range(P):
            avail_start[p] = pos
            for q in range(party_offsets[p], party_offsets[p + 1]):
                if (party_subsets[q] & f) == 0:
                    avail[pos] = party_subsets[q]
                    pos += 1
        avail_start[P] = pos
        for p in range(P):
            odo[p] = 0
        while True:
            stage = np.int64(0)
            for p in range(P):
                stage |= avail[avail_start[p] + odo[p]]
            if stage != 0:
                f2 = f | stage
                s2 = f2 | initial
                ok = True
                for i in range(n_total):
                    if (s2 >> i) & 1 and (requires[i] & ~s2) != 0:
                        ok = False
                        break
                if ok:
                    for p in range(P):
                        a[p] = u_tab[f2, p] - _one_time(stage, p, owner, upfront, unrec, n_total)
                    for k in range(max_stages):
                        if best[f, k, 0] == NEG_INF:
                            continue
                        for p in range(P):
                            v = best[f, k, p] + power[k, p] * a[p]
                            if v > best[f2, k + 1, p]:
                                best[f2, k + 1, p] = v
            p = 0
            while p < P:
                odo[p] += 1
                if avail_start[p] + odo[p] < avail_start[p + 1]:
                    break
                odo[p] = 0
                p += 1
            if p == P:
                break
    # lower[f, j, p]: a plan of j stages from f can only follow a prefix of k ≤ max_stages − j
    lower = np.full((n_states, max_stages + 1, P), np.inf)
    for f in range(n_states):
        for p in range(P):
            running = np.inf
            for k in range(max_stages + 1):
                if best[f, k, p] > NEG_INF:
                    need = (d[p] - TOL - best[f, k, p]) / power[k, p]
                    need -= 1e-7 * (1.0 + abs(need))
                    if need < running:
                        running = need
                lower[f, max_stages - k, p] = running
    return lower


@njit(cache=True, nogil=True)
def _state_frontier(f, n_free, n_total, P, owner, flow, upfront, rc, lasting, lasting_next, tail, requires, initial, delta, unrec, penalty, verif, verif_with, party_subsets, party_offsets, max_stages, enforce_ic, enforce_stable, max_exhaustive, own, own_rev, own_pays, snap_others, u_tab, lower, state_start, state_count, ent_val, ent_j, ent_stage, ent_next, ent_suf1, ent_sufj, c_val, c_j, c_stage, c_next, kept, run_a, run_d, run_pos, run_end, run_stage, heap, key, avail, avail_start, odo, stop_val, prefmax, counters, hidden, work):  # type: ignore[no-untyped-def]
    """The Pareto frontier of one state, into ``kept`` (indices into the c_* buffers).

    Returns the frontier size, −1 if the run buffers are too small, −2 if the candidate
    buffers are too small (the caller grows them and calls again). No array is rebound
    here, which keeps numba's reference counting out of the hot loops.
    """
    s = f | initial
    for p in range(P):
        if lower[f, 0, p] == np.inf:
            return 0  # not reachable from the status quo by valid stages
    rcap = run_pos.shape[0]
    ccap = c_j.shape[0]
    # "stop": s is a final agreement (never at the root, where stopping is no deal)
    has_stop = False
    if f != 0:
        useful = True
        for p in range(P):
            if u_tab[f, p] / (1.0 - delta[p]) < lower[f, 0, p]:
                useful = False
        if useful and ((not enforce_stable) or _is_stable(s, P, own, own_rev, own_pays, snap_others, flow, rc, lasting, lasting_next, tail, delta, penalty, verif, verif_with, n_total, max_exhaustive, hidden, work)):
            has_stop = True
            for p in range(P):
                stop_val[p] = u_tab[f, p] / (1.0 - delta[p])
    # the runs: per party, subsets of its remaining free moves (size ≤ max), combined
    pos = 0
    for p in range(P):
        avail_start[p] = pos
        for k in range(party_offsets[p], party_offsets[p + 1]):
            if (party_subsets[k] & f) == 0:
                avail[pos] = party_subsets[k]
                pos += 1
    avail_start[P] = pos
    for p in range(P):
        odo[p] = 0
    nr = 0
    transitions = 0
    while True:
        stage = np.int64(0)
        for p in range(P):
            stage |= avail[avail_start[p] + odo[p]]
        if stage != 0 and state_count[f | stage] > 0:  # the cheap test first: most fail it
            f2 = f | stage
            s2 = f2 | initial
            ok = True
            for i in range(n_free):
                if (stage >> i) & 1 and (requires[i] & ~s2) != 0:
                    ok = False
                    break
            if ok:
                if nr >= rcap:
                    return -1
                transitions += 1
                for p in range(P):
                    run_a[nr, p] = u_tab[f2, p] - _one_time(stage, p, owner, upfront, unrec, n_total)
                    if enforce_ic:
                        run_d[nr, p] = _deviation(s, stage, p, own, own_rev, own_pays, snap_others, flow, rc, lasting, lasting_next, tail, delta, penalty, n_total)
                    else:
                        run_d[nr, p] = NEG_INF
                run_pos[nr] = state_start[f2]
                run_end[nr] = state_start[f2] + state_count[f2]
                run_stage[nr] = stage
                nr += 1
        # advance the odometer over the parties' subsets
        p = 0
        while p < P:
            odo[p] += 1
            if avail_start[p] + odo[p] < avail_start[p + 1]:
                break
            odo[p] = 0
            p += 1
        if p == P:
            break
    counters[0] += transitions
    if nr == 0 and not has_stop:
        return 0
    # merge the runs in decreasing V_0 and prune on the fly
    d0 = delta[0]
    nh = 0
    for r in range(nr):
        key[r] = run_a[r, 0] + d0 * ent_val[run_pos[r], 0]
        heap[nh] = r
        nh += 1
        _sift_up(heap, key, nh - 1)
    for j in range(prefmax.shape[0]):
        prefmax[j] = NEG_INF
    nc = 0
    nk = 0
    offered = 0
    stop_pending = has_stop
    while nh > 0 or stop_pending:
        if nc >= ccap:
            return -2
        if stop_pending and (nh == 0 or stop_val[0] >= key[heap[0]]):
            stop_pending = False
            for p in range(P):
                c_val[nc, p] = stop_val[p]
            c_j[nc] = 0
            c_stage[nc] = 0
            c_next[nc] = -1
        else:
            r = heap[0]
            e = run_pos[r]
            v0 = key[r]
            # the whole rest of the run can go when its first plan fails the first party's
            # IC (all later ones fail too), or (two parties) when even the best V_1 left in
            # the run fails the second party's IC or is below a kept plan's with no more
            # stages: suffix maxima make these checks exact
            fails_ic0 = v0 < run_d[r, 0] - TOL
            drop = fails_ic0
            if P == 2 and not drop:
                jm = ent_sufj[e] + 1
                if jm > max_stages:
                    drop = True
                else:
                    bound = run_a[r, 1] + delta[1] * ent_suf1[e]
                    if v0 < lower[f, jm, 0] or bound < run_d[r, 1] - TOL or bound < lower[f, jm, 1] or prefmax[jm] > bound + TOL:
                        drop = True
                if drop:
                    fails_ic0 = True
                    drop = True
                    fails_ic0 = True
            if not drop:
                run_pos[r] = e + 1
                if e + 1 < run_end[r]:
                    key[r] = run_a[r, 0] + d0 * ent_val[e + 1, 0]
                else:
                    drop = True
            if drop:
                nh -= 1
                heap[0] = heap[nh]
            # sift the root down (inlined: a call would cost reference counting)
            i = 0
            while True:
                left = 2 * i + 1
                if left >= nh:
                    break
                big = left
                if left + 1 < nh and key[heap[left + 1]] > key[heap[left]]:
                    big = left + 1
                if key[heap[big]] <= key[heap[i]]:
                    break
                tmp = heap[i]
                heap[i] = heap[big]
                heap[big] = tmp
                i = big
            if fails_ic0:
                continue
            jc = ent_j[e] + 1
            if jc > max_stages or v0 < lower[f, jc, 0]:
                continue
            feasible = True
            for p in range(1, P):
                v = run_a[r, p] + delta[p] * ent_val[e, p]
                if v < run_d[r, p] - TOL or v < lower[f, jc, p]:
                    feasible = False
                    break
                c_val[nc, p] = v
            if not feasible:
                continue
            c_val[nc, 0] = v0
            c_j[nc] = ent_j[e] + 1
            c_stage[nc] = run_stage[r]
            c_next[nc] = e
        offered += 1
        if P == 2 and prefmax[c_j[nc]] > c_val[nc, 1] + TOL:
            continue  # clearly dominated: _offer_two's fast path, without the call
        if P == 2:
            res = _offer_two(nc, nk, c_val, c_j, c_stage, c_next, kept, prefmax, ent_stage, ent_next)
        else:
            res = _offer_any(nc, nk, P, c_val, c_j, c_stage, c_next, kept, ent_stage, ent_next)
        if res >= 0:
            nk = res
            nc += 1
    counters[1] += offered
    return nk


@njit(cache=True, nogil=True)
def prepare(n_free, n_total, P, owner, flow, upfront, unrec, reversible, rev_pays, requires, initial, delta, party_subsets, party_offsets, max_stages, d, use_bounds):  # type: ignore[no-untyped-def]
    """Per-party masks, the flow table of every state, and the pruning bounds."""
    n_states = np.int64(1) << n_free
    masks = np.zeros((4, P), dtype=np.int64)  # own, own reversible, own paying, others' paying
    all_pays = np.int64(0)
    for i in range(n_total):
        bit = np.int64(1) << i
        masks[0, owner[i]] |= bit
        if reversible[i]:
            masks[1, owner[i]] |= bit
        if rev_pays[i]:
            masks[2, owner[i]] |= bit
            all_pays |= bit
    for p in range(P):
        masks[3, p] = all_pays & ~masks[0, p]
    # flows of every reachable full state, summed in index order (as in model.payoffs)
    u_tab = np.empty((n_states, P))
    for f in range(n_states):
        for p in range(P):
            u_tab[f, p] = _sum_flow(np.int64(f) | initial, p, flow, n_total)
    if use_bounds:
        lower = _ir_bounds(n_free, n_total, P, owner, upfront, unrec, requires, initial, delta, party_subsets, party_offsets, max_stages, u_tab, d)
    else:
        lower = np.full((n_states, max_stages + 1, P), NEG_INF)
    return masks, u_tab, lower


@njit(cache=True, nogil=True)
def layer_chunk(states, n_free, n_total, P, owner, flow, upfront, rc, lasting, lasting_next, tail, requires, initial, delta, unrec, penalty, verif, verif_with, party_subsets, party_offsets, max_stages, enforce_ic, enforce_stable, max_exhaustive, masks, u_tab, lower, state_start, state_count, ent_val, ent_j, ent_stage, ent_next, ent_suf1, ent_sufj):  # type: ignore[no-untyped-def]
    """Frontiers of some states of one layer (equal popcount: independent of each other).

    Reads the frontiers of the layers above; returns this chunk's entries, each state's
    count, and (transitions, candidates offered). Releases the GIL, so threads run chunks of
    a layer in parallel.

    At a state, each valid stage S is a "run": the successor's frontier (stored in decreasing
    V_0) mapped to V = a(s, S) + δ·w, which keeps that order. The runs are merged through a
    max-heap on V_0, so candidates reach the pruning in decreasing V_0 without sorting.
    """
    own = masks[0]
    own_rev = masks[1]
    own_pays = masks[2]
    snap_others = masks[3]
    n = states.shape[0]
    counts = np.zeros(n, dtype=np.int64)
    counters = np.zeros(2, dtype=np.int64)
    ocap = 1024
    o_val = np.empty((ocap, P))
    o_j = np.empty(ocap, dtype=np.int64)
    o_stage = np.empty(ocap, dtype=np.int64)
    o_next = np.empty(ocap, dtype=np.int64)
    n_out = 0

    ccap = 256
    c_val = np.empty((ccap, P))
    c_j = np.empty(ccap, dtype=np.int64)
    c_stage = np.empty(ccap, dtype=np.int64)
    c_next = np.empty(ccap, dtype=np.int64)
    kept = np.empty(ccap + 1, dtype=np.int64)
    rcap = 256
    run_a = np.empty((rcap, P))
    run_d = np.empty((rcap, P))
    run_pos = np.empty(rcap, dtype=np.int64)
    run_end = np.empty(rcap, dtype=np.int64)
    run_stage = np.empty(rcap, dtype=np.int64)
    heap = np.empty(rcap, dtype=np.int64)
    key = np.empty(rcap)
    avail = np.empty(party_offsets[P], dtype=np.int64)
    avail_start = np.zeros(P + 1, dtype=np.int64)
    odo = np.zeros(P, dtype=np.int64)
    stop_val = np.empty(P)
    prefmax = np.empty(max_stages + 2)
    hidden, work = work_space(n_total, max_exhaustive)

    for idx in range(n):
        f = states[idx]
        s = f | initial
        consistent = True
        for i in range(n_total):
            if (s >> i) & 1 and (requires[i] & ~s) != 0:
                consistent = False
                break
        if not consistent:
            continue
        while True:
            saved0 = counters[0]
            saved1 = counters[1]
            nk = _state_frontier(f, n_free, n_total, P, owner, flow, upfront, rc, lasting, lasting_next, tail, requires, initial, delta, unrec, penalty, verif, verif_with, party_subsets, party_offsets, max_stages, enforce_ic, enforce_stable, max_exhaustive, own, own_rev, own_pays, snap_others, u_tab, lower, state_start, state_count, ent_val, ent_j, ent_stage, ent_next, ent_suf1, ent_sufj, c_val, c_j, c_stage, c_next, kept, run_a, run_d, run_pos, run_end, run_stage, heap, key, avail, avail_start, odo, stop_val, prefmax, counters, hidden, work)
            if nk >= 0:
                break
            counters[0] = saved0
            counters[1] = saved1
            if nk == -1:
                rcap *= 2
                run_a = np.empty((rcap, P))
                run_d = np.empty((rcap, P))
                run_pos = np.empty(rcap, dtype=np.int64)
                run_end = np.empty(rcap, dtype=np.int64)
                run_stage = np.empty(rcap, dtype=np.int64)
                heap = np.empty(rcap, dtype=np.int64)
                key = np.empty(rcap)
            else:
                ccap *= 2
                c_val = np.empty((ccap, P))
                c_j = np.empty(ccap, dtype=np.int64)
                c_stage = np.empty(ccap, dtype=np.int64)
                c_next = np.empty(ccap, dtype=np.int64)
                kept = np.empty(ccap + 1, dtype=np.int64)
        if nk == 0:
            continue
        if n_out + nk > ocap:
            while n_out + nk > ocap:
                ocap *= 2
            o_val = _grow_rows(o_val, n_out, ocap)
            o_j = _grow(o_j, n_out, ocap)
            o_stage = _grow(o_stage, n_out, ocap)
            o_next = _grow(o_next, n_out, ocap)
        counts[idx] = nk
        for ki in range(nk):
            k = kept[ki]
            for p in range(P):
                o_val[n_out, p] = c_val[k, p]
            o_j[n_out] = c_j[k]
            o_stage[n_out] = c_stage[k]
            o_next[n_out] = c_next[k]
            n_out += 1
    return counts, o_val[:n_out], o_j[:n_out], o_stage[:n_out], o_next[:n_out], counters


@njit(cache=True, nogil=True)
def suffix_bounds(ent_val, ent_j, ent_suf1, ent_sufj, starts, counts, max_stages):  # type: ignore[no-untyped-def]
    """Two parties: per entry, the largest V_1 and fewest stages from it to its state's end."""
    for idx in range(starts.shape[0]):
        best1 = NEG_INF
        fewest = max_stages + 1
        for e in range(starts[idx] + counts[idx] - 1, starts[idx] - 1, -1):
            if ent_val[e, 1] > best1:
                best1 = ent_val[e, 1]
            if ent_j[e] < fewest:
                fewest = ent_j[e]
            ent_suf1[e] = best1
            ent_sufj[e] = fewest


@njit(cache=True)
def solve_serial(order, layer_starts, n_free, n_total, P, owner, flow, upfront, rc, lasting, lasting_next, tail, requires, initial, delta, unrec, penalty, verif, verif_with, party_subsets, party_offsets, max_stages, enforce_ic, enforce_stable, max_exhaustive, masks, u_tab, lower):  # type: ignore[no-untyped-def]
    """Every layer in one compiled call (no thread, no Python between layers): for small
    problems, where the per-call cost of ``layer_chunk`` would dominate. Same store layout as
    ``dp._Store``, same answer."""
    n_states = np.int64(1) << n_free
    state_start = np.zeros(n_states, dtype=np.int64)
    state_count = np.zeros(n_states, dtype=np.int64)
    cap = 1024
    ent_val = np.empty((cap, P))
    ent_j = np.empty(cap, dtype=np.int8)
    ent_stage = np.empty(cap, dtype=np.int32)
    ent_next = np.empty(cap, dtype=np.int32)
    ent_suf1 = np.empty(cap)
    ent_sufj = np.empty(cap, dtype=np.int8)
    size = 0
    total = np.zeros(2, dtype=np.int64)
    for li in range(layer_starts.shape[0] - 1):
        states = order[layer_starts[li]:layer_starts[li + 1]]
        counts, o_val, o_j, o_stage, o_next, counters = layer_chunk(states, n_free, n_total, P, owner, flow, upfront, rc, lasting, lasting_next, tail, requires, initial, delta, unrec, penalty, verif, verif_with, party_subsets, party_offsets, max_stages, enforce_ic, enforce_stable, max_exhaustive, masks, u_tab, lower, state_start, state_count, ent_val, ent_j, ent_stage, ent_next, ent_suf1, ent_sufj)
        total += counters
        m = o_j.shape[0]
        if size + m > cap:
            while size + m > cap:
                cap += cap // 2 + 1024
            ent_val = _grow_rows(ent_val, size, cap)
            ent_j = _grow(ent_j, size, cap)
            ent_stage = _grow(ent_stage, size, cap)
            ent_next = _grow(ent_next, size, cap)
            ent_suf1 = _grow(ent_suf1, size, cap)
            ent_sufj = _grow(ent_sufj, size, cap)
        starts = np.empty(states.shape[0], dtype=np.int64)
        pos = size
        for idx in range(states.shape[0]):
            starts[idx] = pos
            state_start[states[idx]] = pos
            state_count[states[idx]] = counts[idx]
            pos += counts[idx]
        for e in range(m):
            for p in range(P):
                ent_val[size + e, p] = o_val[e, p]
            ent_j[size + e] = o_j[e]
            ent_stage[size + e] = o_stage[e]
            ent_next[size + e] = o_next[e]
        size += m
        if P == 2 and m > 0:
            suffix_bounds(ent_val, ent_j, ent_suf1, ent_sufj, starts, counts, max_stages)
    return state_start, state_count, ent_val[:size], ent_j[:size], ent_stage[:size], ent_next[:size], total
