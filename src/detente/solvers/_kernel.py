"""The compiled inner loop of the sequencing DP (docs/model.md, "The solver"), in numba.

States are masks over the free moves (bits 0..n_free−1); the full state adds ``initial``.
For each state, processed from the largest mask down (a stage only adds moves), the kernel
builds the Pareto frontier of plans over (V_1..V_P, −stages), with 'Which deal''s tie-break for
equal vectors. A plan is dropped as soon as it provably cannot matter: it cannot leave every
party at its no-deal value (``Search.lower``), or its Nash product cannot reach a floor that a
known feasible plan already attains (branch and bound: ``Search.floor_*``, ``Search.tang``).
Values come from ``_common``, with exactly the operations of :mod:`detente.model.payoffs`.

The kernels take the named bundles of :mod:`detente.solvers.bundles`; hot loops read the
arrays they need into locals first (reading a bundle's field costs a reference count).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from detente.solvers._common import (
    NEG_INF,
    TOL,
    consistent,
    deviation,
    dominates,
    flow_sum,
    is_stable,
    offer_any,
    stage_payoffs,
    stage_space,
    stages_into,
    suffix_bounds,
    valid_stages,
)

# a frontier's rank in the beam: (gaining parties, log-product) as one number; a log-product
# is a weighted mean of logs of doubles, so well within ±1e4
_COUNT_WEIGHT = 1e4


@njit(cache=True, nogil=True)
def _jj(j, J):  # type: ignore[no-untyped-def]
    """The row of ``Search.lower`` for a plan of j stages (one row when there is no stage axis)."""
    return j if J > 1 else 0


@njit(cache=True, nogil=True)
def _floor2(v0, v1, low0, low1, pw0, pw1, b0, b1, floor_count, floor_score):  # type: ignore[no-untyped-def]
    """Two parties: whether a schedule through this state, going on with a plan worth
    (v0, v1), could reach the floor's Nash rank. Party p's gain at the status quo is at most
    δ_p^kmin·(v_p − low_p) (``reach_bounds``); the rank of those bounds bounds the rank."""
    count = 0
    score = 0.0
    g = pw0 * (v0 - low0)
    if g > TOL:
        count += 1
        score += b0 * np.log(g)
    g = pw1 * (v1 - low1)
    if g > TOL:
        count += 1
        score += b1 * np.log(g)
    if count != floor_count:
        return count > floor_count
    return score >= floor_score


@njit(cache=True, nogil=True)
def _rank_bound(v, low, pw, beta, P):  # type: ignore[no-untyped-def]
    """The same bound for any number of parties, as (gaining parties, log-product)."""
    count = 0
    score = 0.0
    for p in range(P):
        g = pw[p] * (v[p] - low[p])
        if g > TOL:
            count += 1
            score += beta[p] * np.log(g)
    return count, score


@njit(cache=True, nogil=True)
def _tangent2(tang, f, k0, hi, lam, powk, v0, v1, tang_floor):  # type: ignore[no-untyped-def]
    """Two parties: whether every tangent of the floor lets such a schedule reach the floor.

    The log-product is concave, so on its level set through the floor F, at the point where
    the tangent is lam (lam_p ∝ β_p/g°_p), Σ β_p log g_p ≤ F + Σ_p lam_p·(g_p − g°_p): a
    schedule reaches F only if Σ_p lam_p·V_p ≥ ``tang_floor``. Through f with k stages before a
    plan worth v, Σ_p lam_p·V_p ≤ tang[f, k] + Σ_p lam_p·δ_p^k·v_p. Each direction d (a row
    of ``lam``) gives such a bound; all must hold."""
    for d in range(lam.shape[0]):
        l0 = lam[d, 0]
        l1 = lam[d, 1]
        ok = False
        for k in range(k0, hi + 1):
            t = tang[f, k, d]
            if t != NEG_INF and t + l0 * powk[k, 0] * v0 + l1 * powk[k, 1] * v1 >= tang_floor[d]:
                ok = True
                break
        if not ok:
            return False
    return True


@njit(cache=True, nogil=True)
def _tangent(tang, f, k0, hi, lam, powk, v, P, tang_floor):  # type: ignore[no-untyped-def]
    """``_tangent2`` for any number of parties."""
    for d in range(lam.shape[0]):
        ok = False
        for k in range(k0, hi + 1):
            t = tang[f, k, d]
            if t == NEG_INF:
                continue
            for p in range(P):
                t += lam[d, p] * powk[k, p] * v[p]
            if t >= tang_floor[d]:
                ok = True
                break
        if not ok:
            return False
    return True


@njit(cache=True, nogil=True)
def _offer_two(c, nk, c_val, c_j, c_stage, c_next, kept, prefmax, ent_stage, ent_next):  # type: ignore[no-untyped-def]
    """Offer candidate c (two parties, candidates in decreasing V_0): about O(1).

    Every kept plan has V_0 at least c's. ``prefmax[j]`` is the largest V_1 among kept plans
    with at most j stages: c clearly below it is dominated, clearly above it is not; only
    near-ties (within the tolerance) fall back to the exact pairwise rule of ``dominates``.
    Returns the new frontier size, or −1 if c is not kept.
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
            if dominates(c_val, c_j, c_stage, c_next, k, c, 2, ent_stage, ent_next):
                return -1
    # c may only dominate kept plans whose V_0 is within the tolerance of its own
    removed = False
    ki = nk - 1
    while ki >= 0 and c_val[kept[ki], 0] <= c_val[c, 0] + TOL:
        k = kept[ki]
        if dominates(c_val, c_j, c_stage, c_next, c, k, 2, ent_stage, ent_next):
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


@njit(cache=True, nogil=True)
def _frontier(f, M, A, S, st, x, counters):  # type: ignore[no-untyped-def]
    """The Pareto frontier of state f, into ``x.kept`` (indices into the x.c_* buffers).

    Returns the frontier size, or −2 if the candidate buffers are too small (the caller grows
    them and calls again). At a state, each valid stage S is a "run": the successor's frontier
    (stored in decreasing V_0) mapped to V = a(s, S) + δ·w, which keeps that order. The runs
    are merged through a max-heap on V_0, so candidates reach the pruning in decreasing V_0
    without sorting.
    """
    P = M.n_parties
    K = M.max_stages
    n_total = M.n_total
    s = f | M.initial
    lower = S.lower
    J = lower.shape[1]
    for p in range(P):
        if lower[f, 0, p] == np.inf:
            return 0  # not reachable from the status quo by valid stages
    # the state's bounds
    u = S.u
    kf = S.kmin[f]
    powk = S.powk
    beta = S.beta
    floor_count = S.floor_count
    floor_score = S.floor_score
    bounded = floor_count >= 0
    tang = S.tang
    tangent = tang.shape[0] > 1
    lam = S.lam
    tang_floor = S.tang_floor
    kt = tang.shape[1] - 1
    # scratch and store
    ccap = x.c_j.shape[0]
    c_val = x.c_val
    c_j = x.c_j
    c_stage = x.c_stage
    c_next = x.c_next
    kept = x.kept
    run_a = x.run_a
    run_d = x.run_d
    run_pos = x.run_pos
    run_end = x.run_end
    run_stage = x.run_stage
    heap = x.heap
    key = x.key
    prefmax = x.prefmax
    stop_val = x.stop_val
    z = x.z
    stages = z.out
    devs = x.devs
    ent_val = st.val
    ent_j = st.j
    ent_stage = st.stage
    ent_next = st.next
    ent_suf1 = st.suf1
    ent_sufj = st.sufj
    ent_start = st.starts
    ent_count = st.counts
    delta = A.delta
    d0 = delta[0]
    d1 = delta[1] if P > 1 else 0.0
    pw0 = powk[kf, 0]
    pw1 = powk[kf, 1] if P > 1 else 0.0
    b0 = beta[0]
    b1 = beta[1] if P > 1 else 0.0
    # "stop": s is a final agreement (never at the root, where stopping is no deal)
    has_stop = False
    if f != 0:
        useful = True
        for p in range(P):
            stop_val[p] = u[f, p] / (1.0 - delta[p])
            if stop_val[p] < lower[f, 0, p]:
                useful = False
        if useful and tangent and not _tangent(tang, f, kf, min(kt, K), lam, powk, stop_val, P, tang_floor):
            useful = False
        if useful and bounded:
            count, score = _rank_bound(stop_val, lower[f, 0], powk[kf], beta, P)
            if count < floor_count or (count == floor_count and score < floor_score):
                useful = False
        if useful and ((not S.enforce_stable) or is_stable(A, P, s, n_total, M.max_exhaustive, x.hidden, x.work)):
            has_stop = True
    if st.alive[f] == 0 and not has_stop:
        return 0  # no successor has plans: no stage leads anywhere
    # the runs: one per valid stage whose successor has plans. With two parties a whole run
    # is dropped before its deviations are computed when even its best values (its first
    # plan's V_0, the largest V_1 and the fewest stages in it) fail a bound or the IC of the
    # party the first plan does; and D_p depends only on the other party's part of the stage
    # and on whether p has a part, so it is computed once per state and such pair
    edges = M.out_start.shape[0] > 0  # the stages kept with the structure, else enumerated
    out0 = M.out_start[f] if edges else 0
    n_st = M.out_start[f + 1] - out0 if edges else valid_stages(M, f, z)
    out_stage = M.out_stage
    out_combo = M.out_combo
    cost = A.stage_cost
    combo = z.combo
    n0 = M.strides[1] if P > 1 else 1  # two parties: stage t is combination pick_0 + n0·pick_1
    enforce_ic = S.enforce_ic
    if P == 2 and enforce_ic:
        for p in range(2):
            for q in range(devs.shape[1]):
                devs[p, q, 0] = np.nan
                devs[p, q, 1] = np.nan
    nr = 0
    live = 0
    nh = 0
    for t in range(n_st):
        if edges:
            stage = np.int64(out_stage[out0 + t])
            c = np.int64(out_combo[out0 + t])
        else:
            stage = stages[t]
            c = combo[t]
        f2 = f | stage
        if ent_count[f2] == 0:
            continue
        live += 1
        for p in range(P):  # a(s, S) as _common.stage_payoffs computes it (party p is agent p)
            run_a[nr, p] = u[f2, p] - cost[c, p]
        e = ent_start[f2]
        v0 = run_a[nr, 0] + d0 * ent_val[e, 0]
        if P == 2:
            jm = ent_sufj[e] + 1
            if jm > K:
                continue
            b = run_a[nr, 1] + d1 * ent_suf1[e]
            jj = _jj(jm, J)
            if v0 < lower[f, jj, 0] or b < lower[f, jj, 1]:
                continue
            if tangent and not _tangent2(tang, f, kf, min(kt, K - jm), lam, powk, v0, b, tang_floor):
                continue
            if bounded and not _floor2(v0, b, lower[f, jj, 0], lower[f, jj, 1], pw0, pw1, b0, b1, floor_count, floor_score):
                continue
            if enforce_ic:
                pick0 = c % n0
                pick1 = c // n0
                for p in range(2):
                    q = pick0 if p == 1 else pick1
                    mine = 1 if (pick1 if p == 1 else pick0) > 0 else 0
                    dv = devs[p, q, mine]
                    if dv != dv:  # not computed yet
                        dv = deviation(A, p, s, stage, n_total)
                        devs[p, q, mine] = dv
                    run_d[nr, p] = dv
                if v0 < run_d[nr, 0] - TOL or b < run_d[nr, 1] - TOL:
                    continue
            else:
                run_d[nr, 0] = NEG_INF
                run_d[nr, 1] = NEG_INF
        else:
            for p in range(P):
                run_d[nr, p] = deviation(A, p, s, stage, n_total) if enforce_ic else NEG_INF
        run_pos[nr] = e
        run_end[nr] = e + ent_count[f2]
        run_stage[nr] = stage
        # into the max-heap on the run's next V_0
        key[nr] = v0
        heap[nh] = nr
        nh += 1
        i = nh - 1
        while i > 0:
            parent = (i - 1) // 2
            if key[heap[parent]] >= key[heap[i]]:
                break
            tmp = heap[i]
            heap[i] = heap[parent]
            heap[parent] = tmp
            i = parent
        nr += 1
    counters[0] += live
    if nr == 0 and not has_stop:
        return 0
    # merge the runs in decreasing V_0 and prune on the fly
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
            # the run fails the second party's IC, is below a kept plan's with no more
            # stages, or cannot reach the bounds: suffix maxima make these checks exact
            fails_ic0 = v0 < run_d[r, 0] - TOL
            drop = fails_ic0
            if P == 2 and not drop:
                jm = ent_sufj[e] + 1
                if jm > K:
                    drop = True
                else:
                    b = run_a[r, 1] + d1 * ent_suf1[e]
                    jj = _jj(jm, J)
                    if (
                        v0 < lower[f, jj, 0]
                        or b < run_d[r, 1] - TOL
                        or b < lower[f, jj, 1]
                        or prefmax[jm] > b + TOL
                        or (tangent and not _tangent2(tang, f, kf, min(kt, K - jm), lam, powk, v0, b, tang_floor))
                        or (bounded and not _floor2(v0, b, lower[f, jj, 0], lower[f, jj, 1], pw0, pw1, b0, b1, floor_count, floor_score))
                    ):
                        drop = True
                fails_ic0 = drop
            if not drop:
                run_pos[r] = e + 1
                if e + 1 < run_end[r]:
                    key[r] = run_a[r, 0] + d0 * ent_val[e + 1, 0]
                else:
                    drop = True
            if drop:
                nh -= 1
                heap[0] = heap[nh]
            # sift the root down
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
            if jc > K:
                continue
            jj = _jj(jc, J)
            if v0 < lower[f, jj, 0]:
                continue
            feasible = True
            for p in range(1, P):
                v = run_a[r, p] + delta[p] * ent_val[e, p]
                if v < run_d[r, p] - TOL or v < lower[f, jj, p]:
                    feasible = False
                    break
                c_val[nc, p] = v
            if not feasible:
                continue
            c_val[nc, 0] = v0
            c_j[nc] = jc
            c_stage[nc] = run_stage[r]
            c_next[nc] = e
        offered += 1
        jc = c_j[nc]
        jj = _jj(jc, J)
        if P == 2:
            v0 = c_val[nc, 0]
            v1 = c_val[nc, 1]
            if prefmax[jc] > v1 + TOL:
                continue  # clearly dominated: _offer_two's fast path, without the call
            if tangent and not _tangent2(tang, f, kf, min(kt, K - jc), lam, powk, v0, v1, tang_floor):
                continue
            if bounded and not _floor2(v0, v1, lower[f, jj, 0], lower[f, jj, 1], pw0, pw1, b0, b1, floor_count, floor_score):
                continue
            res = _offer_two(nc, nk, c_val, c_j, c_stage, c_next, kept, prefmax, ent_stage, ent_next)
        else:
            if tangent and not _tangent(tang, f, kf, min(kt, K - jc), lam, powk, c_val[nc], P, tang_floor):
                continue
            if bounded:
                count, score = _rank_bound(c_val[nc], lower[f, jj], powk[kf], beta, P)
                if count < floor_count or (count == floor_count and score < floor_score):
                    continue
            res = offer_any(nc, nk, P, c_val, c_j, c_stage, c_next, kept, ent_stage, ent_next)
        if res >= 0:
            nk = res
            nc += 1
    counters[1] += offered
    return nk


@njit(cache=True, nogil=True)
def _slot(c_val, c_j, c_stage, c_next, src, dst, P):  # type: ignore[no-untyped-def]
    """Copy candidate ``src`` to ``dst``."""
    for p in range(P):
        c_val[dst, p] = c_val[src, p]
    c_j[dst] = c_j[src]
    c_stage[dst] = c_stage[src]
    c_next[dst] = c_next[src]


@njit(cache=True, nogil=True)
def _beam_frontier(f, M, A, S, st, x, counters):  # type: ignore[no-untyped-def]
    """The first pass at state f: a few plans, not a frontier. Among the plans a frontier
    would be built from (valid, IC with their continuation, able to leave every party at its
    no-deal value), keep each party's best and the one with the best Nash bound (at most
    P + 1, in decreasing V_0). Every plan kept is a real plan, IC with the plans it continues
    with, so every schedule this pass finds at the status quo is feasible; it only looks for a
    good one, to start the exact pass's floor. Slots 0..P of ``x.c_*`` hold the chosen plans,
    slot P + 1 the candidate at hand."""
    P = M.n_parties
    K = M.max_stages
    n_total = M.n_total
    s = f | M.initial
    lower = S.lower
    J = lower.shape[1]
    for p in range(P):
        if lower[f, 0, p] == np.inf:
            return 0
    if x.c_j.shape[0] < P + 2:
        return -2
    u = S.u
    kf = S.kmin[f]
    pw = S.powk[kf]
    beta = S.beta
    delta = A.delta
    c_val = x.c_val
    c_j = x.c_j
    c_stage = x.c_stage
    c_next = x.c_next
    rank = x.rank
    kept = x.kept
    z = x.z
    stages = z.out
    picks = z.picks
    pay = x.pay
    devs = x.devs
    run_d = x.run_d
    ent_val = st.val
    ent_j = st.j
    ent_start = st.starts
    ent_count = st.counts
    enforce_ic = S.enforce_ic
    c = P + 1  # the candidate's slot
    pw0 = pw[0]
    pw1 = pw[1] if P > 1 else 0.0
    b0 = beta[0]
    b1 = beta[1] if P > 1 else 0.0
    filled = np.zeros(P + 1, dtype=np.bool_)
    offered = 0
    # stop here
    if f != 0:
        ok = True
        for p in range(P):
            c_val[c, p] = u[f, p] / (1.0 - delta[p])
            if c_val[c, p] < lower[f, 0, p]:
                ok = False
        if ok and ((not S.enforce_stable) or is_stable(A, P, s, n_total, M.max_exhaustive, x.hidden, x.work)):
            c_j[c] = 0
            c_stage[c] = 0
            c_next[c] = -1
            offered += 1
            count, score = _rank_bound(c_val[c], lower[f, 0], pw, beta, P)
            for q in range(P + 1):
                _slot(c_val, c_j, c_stage, c_next, c, q, P)
                filled[q] = True
            rank[P] = count * _COUNT_WEIGHT + score
    n_st = valid_stages(M, f, z)
    stage_payoffs(f, n_st, z, u, A.stage_cost, pay)
    if P == 2 and enforce_ic:
        for p in range(2):
            for q in range(devs.shape[1]):
                devs[p, q, 0] = np.nan
                devs[p, q, 1] = np.nan
    live = 0
    for t in range(n_st):
        stage = stages[t]
        f2 = f | stage
        if ent_count[f2] == 0:
            continue
        live += 1
        have_devs = not enforce_ic
        if not enforce_ic:
            for p in range(P):
                run_d[0, p] = NEG_INF
        for e in range(ent_start[f2], ent_start[f2] + ent_count[f2]):
            jc = ent_j[e] + 1
            if jc > K:
                continue
            jj = _jj(jc, J)
            ok = True
            for p in range(P):
                v = pay[t, p] + delta[p] * ent_val[e, p]
                if v < lower[f, jj, p]:
                    ok = False
                    break
                c_val[c, p] = v
            if not ok:
                continue
            if not have_devs:
                have_devs = True
                for p in range(P):
                    if P == 2:
                        q = picks[t, 1 - p]
                        mine = 1 if picks[t, p] > 0 else 0
                        dv = devs[p, q, mine]
                        if dv != dv:
                            dv = deviation(A, p, s, stage, n_total)
                            devs[p, q, mine] = dv
                        run_d[0, p] = dv
                    else:
                        run_d[0, p] = deviation(A, p, s, stage, n_total)
            for p in range(P):
                if c_val[c, p] < run_d[0, p] - TOL:
                    ok = False
                    break
            if not ok:
                continue
            offered += 1
            c_j[c] = jc
            c_stage[c] = stage
            c_next[c] = e
            better_somewhere = False
            for p in range(P):
                if not filled[p] or c_val[c, p] > c_val[p, p] or (c_val[c, p] == c_val[p, p] and jc < c_j[p]):
                    _slot(c_val, c_j, c_stage, c_next, c, p, P)
                    filled[p] = True
                    better_somewhere = True
                elif not filled[P] or c_val[c, p] > c_val[P, p]:
                    better_somewhere = True
            if not (better_somewhere or not filled[P]):
                continue
            if P == 2:  # the rank of _rank_bound, with scalars
                count = 0
                r = 0.0
                g = pw0 * (c_val[c, 0] - lower[f, jj, 0])
                if g > TOL:
                    count += 1
                    r += b0 * np.log(g)
                g = pw1 * (c_val[c, 1] - lower[f, jj, 1])
                if g > TOL:
                    count += 1
                    r += b1 * np.log(g)
                r += count * _COUNT_WEIGHT
            else:
                count, score = _rank_bound(c_val[c], lower[f, jj], pw, beta, P)
                r = count * _COUNT_WEIGHT + score
            if not filled[P] or r > rank[P]:
                _slot(c_val, c_j, c_stage, c_next, c, P, P)
                filled[P] = True
                rank[P] = r
    counters[0] += live
    counters[1] += offered
    # the distinct slots, in decreasing V_0
    nk = 0
    for q in range(P + 1):
        if not filled[q]:
            continue
        same = False
        for ki in range(nk):
            k = kept[ki]
            if c_j[k] == c_j[q] and c_stage[k] == c_stage[q] and c_next[k] == c_next[q]:
                same = True
        if same:
            continue
        ki = nk
        while ki > 0 and c_val[kept[ki - 1], 0] < c_val[q, 0]:
            kept[ki] = kept[ki - 1]
            ki -= 1
        kept[ki] = q
        nk += 1
    return nk


@njit(cache=True, nogil=True)
def frontiers(states, lo, M, A, S, st, out, out_size, x, counters):  # type: ignore[no-untyped-def]
    """Frontiers of ``states[lo:]``, in order, written to ``out`` from ``out_size`` on.

    States of one layer (equal popcount) are independent of each other; they read the
    frontiers of the layers above from ``st``. ``out`` is ``st`` itself (one thread) or a
    thread's staging store, which the caller appends to ``st`` (each state's ``start`` is then
    relative to ``out``). Returns (the next state to do, the new size of ``out``, why it
    stopped: 0 every state is done, 1 the next state's frontier does not fit in ``out``, 2 the
    scratch ``x`` is too small for its candidates: the caller grows it and calls again). ``x``
    is never rebound here: a bundle rebound in a loop is reference-counted member by member at
    every iteration. Releases the GIL, so threads run parts of a layer in parallel.
    """
    P = M.n_parties
    K = M.max_stages
    cap = out.j.shape[0]
    o_val = out.val
    o_j = out.j
    o_stage = out.stage
    o_next = out.next
    start = st.starts
    count = st.counts
    alive = st.alive
    beam = S.beam > 0
    kept = x.kept
    c_val = x.c_val
    c_j = x.c_j
    c_stage = x.c_stage
    c_next = x.c_next
    z = x.z
    into = z.out
    into_kept = M.into_start.shape[0] > 0
    into_start = M.into_start
    into_from = M.into_from
    u = S.u
    lower = S.lower
    delta = A.delta
    n = states.shape[0]
    idx = lo
    while idx < n:
        f = states[idx]
        if not beam and alive[f] == 0:
            # no successor has plans, so only stopping here could be kept: skip the state
            # unless the stop leaves every party at its bound (``_frontier``'s first test of
            # the stop, done here without the cost of a call: most states fail it)
            skip = f == 0
            for p in range(P):
                if u[f, p] / (1.0 - delta[p]) < lower[f, 0, p]:
                    skip = True
            if skip:
                idx += 1
                continue
        if not consistent(M, f | M.initial):
            idx += 1
            continue
        saved0 = counters[0]
        saved1 = counters[1]
        if beam:
            nk = _beam_frontier(f, M, A, S, st, x, counters)
        else:
            nk = _frontier(f, M, A, S, st, x, counters)
        if nk < 0:
            counters[0] = saved0
            counters[1] = saved1
            return idx, out_size, 2
        if nk > 0:
            if out_size + nk > cap:
                counters[0] = saved0
                counters[1] = saved1
                return idx, out_size, 1
            for ki in range(nk):
                k = kept[ki]
                e = out_size + ki
                for p in range(P):
                    o_val[e, p] = c_val[k, p]
                o_j[e] = c_j[k]
                o_stage[e] = c_stage[k]
                o_next[e] = c_next[k]
            if P == 2:
                suffix_bounds(o_val, o_j, out.suf1, out.sufj, out_size, nk, K)
            start[f] = out_size
            count[f] = nk
            out_size += nk
            if not beam:  # the states a stage leads here from are worth looking at
                if into_kept:  # (only those where every move has what it requires are looked at)
                    for e in range(into_start[f], into_start[f + 1]):
                        alive[into_from[e]] = 1
                else:
                    n_in = stages_into(M, f, z)
                    for t in range(n_in):
                        alive[f ^ into[t]] = 1
        idx += 1
    return idx, out_size, 0


@njit(cache=True, nogil=True)
def reach_bounds(states, M, A, u, need0, powk, lower, kmin, lam, tang):  # type: ignore[no-untyped-def]
    """The forward pass, for ``states`` (all of one size, after every smaller state): the raw
    rows of ``lower`` and ``kmin`` of :class:`~detente.solvers.bundles.Search`, pulled from each
    state's predecessors; ``finish_bounds`` turns the rows into bounds once every state is done.

    A plan from state f is only useful inside a schedule from the status quo that leaves every
    party p at least ``need0[p]`` (its no-deal value, less the tolerance and a safety margin).
    Reaching f in k stages gives p at most B_k(f, p), the best discounted sum of stage payoffs
    over valid paths (IC ignored, so an upper bound), and the schedule's value is that prefix
    plus δ_p^k times the plan's value. So a plan of j stages worth keeping has
    W_p ≥ min over k ≤ max_stages − j of (need0_p − B_k(f, p))/δ_p^k.

    With a stage axis (``lower.shape[1]`` = max_stages + 1) the row holds B_k per k and the
    bound is exact in j. Without one the bound takes every k: H(f) = max_k (B_k − need0)/δ^k
    follows H(f ∪ S) = max (H(f) + a(S))/δ from H(∅) = −need0, one number per state and
    party, and lower = −H for every j (a weaker bound, still safe). ``kmin[f]``: the fewest
    stages to f (127: unreachable within max_stages).

    With tangents (``tang`` more than one row: a known plan's, see ``dp``), the same pass
    also fills ``tang`` as ``tangent_paths`` does, from the same stages and payoffs (a
    predecessor reached in max_stages stages or more has no tangent path to extend).
    """
    P = M.n_parties
    K = M.max_stages
    J = lower.shape[1]
    delta = A.delta
    cost = A.stage_cost
    z = stage_space(M)
    stages = z.out
    combo = z.combo
    edges = M.into_start.shape[0] > 0
    into_start = M.into_start
    into_from = M.into_from
    into_combo = M.into_combo
    pay = np.empty(P)
    tangent = tang.shape[0] > 1
    KT = tang.shape[1]
    D = tang.shape[2]
    weight = _weights(lam, powk, KT, D, P)
    if edges and J == 1 and P == 2 and D == 1:
        _reach_two(states, M, A, u, need0, lower, kmin, weight, tang, tangent)
        return
    for idx in range(states.shape[0]):
        f2 = states[idx]
        kmin[f2] = 127
        for jj in range(J):
            for p in range(P):
                lower[f2, jj, p] = NEG_INF
        if tangent:
            for k in range(KT):
                for d in range(D):
                    tang[f2, k, d] = NEG_INF
        if (f2 == 0 or not edges) and not consistent(M, f2 | M.initial):
            continue  # a move without what it requires: no stage leads here (kept stages
            # only join states where every move has what it requires)
        if f2 == 0:
            kmin[0] = 0
            for p in range(P):
                lower[0, 0, p] = -need0[p] if J == 1 else 0.0
            if tangent:
                for d in range(D):
                    tang[0, 0, d] = 0.0
            continue
        size = 0  # |f2|: a predecessor's paths have fewer stages
        rest = f2
        while rest:
            rest &= rest - 1
            size += 1
        # the stages into f2: kept with the structure, or enumerated (then some come from
        # states that break a requirement, which kmin leaves out)
        n = into_start[f2 + 1] - into_start[f2] if edges else stages_into(M, f2, z)
        for t in range(n):
            if edges:
                e = into_start[f2] + t
                f = np.int64(into_from[e])
                c = into_combo[e]
            else:
                f = f2 ^ stages[t]
                c = combo[t]
            if kmin[f] >= K:
                continue
            for p in range(P):  # a(s, S), as _common.stage_payoffs computes it
                pay[p] = u[f2, p] - cost[c, p]
            if kmin[f] + 1 < kmin[f2]:
                kmin[f2] = kmin[f] + 1
            if J == 1:  # the most of lower + a(s, S); divided by δ once the state is done
                for p in range(P):
                    h = lower[f, 0, p] + pay[p]
                    if h > lower[f2, 0, p]:
                        lower[f2, 0, p] = h
            else:
                for k in range(K):
                    if lower[f, k, 0] == NEG_INF:
                        continue
                    for p in range(P):
                        v = lower[f, k, p] + powk[k, p] * pay[p]
                        if v > lower[f2, k + 1, p]:
                            lower[f2, k + 1, p] = v
            if tangent:
                _extend_tangents(tang, f, f2, kmin[f], min(KT - 1, size), weight, pay)
        if J == 1:  # rounding is monotone: the most of x/δ is the most of x, divided by δ
            for p in range(P):
                lower[f2, 0, p] = lower[f2, 0, p] / delta[p]


@njit(cache=True, nogil=True)
def _extend_tangents(tang, f, f2, lo, hi, weight, pay):  # type: ignore[no-untyped-def]
    """The tangent paths of k stages to f, for k in [lo, hi), extended by one stage worth
    ``pay`` to f2 (paths of k + 1 stages): tang[f2, k + 1, d] is the most of its value and
    tang[f, k, d] + Σ_p weight[k, d, p]·pay[p]. −∞ plus a finite payoff stays −∞ and never wins."""
    for k in range(lo, hi):
        for d in range(tang.shape[2]):
            v = tang[f, k, d]
            for p in range(pay.shape[0]):
                v += weight[k, d, p] * pay[p]
            if v > tang[f2, k + 1, d]:
                tang[f2, k + 1, d] = v


@njit(cache=True, nogil=True)
def _reach_two(states, M, A, u, need0, lower, kmin, weight, tang, tangent):  # type: ignore[no-untyped-def]
    """``reach_bounds`` for the usual case, two parties, no stage axis, one tangent and the
    stages kept with the structure: the same operations in the same order, each state's
    maxima kept in locals until its last stage in (a store per stage costs more)."""
    K = M.max_stages
    KT = tang.shape[1]
    delta = A.delta
    cost = A.stage_cost
    into_start = M.into_start
    into_from = M.into_from
    into_combo = M.into_combo
    d0 = delta[0]
    d1 = delta[1]
    w0 = weight[:, 0, 0].copy()
    w1 = weight[:, 0, 1].copy()
    best = np.empty(KT)
    t2 = tang.reshape((tang.shape[0], KT))  # D == 1: rows of unit stride, which vectorise
    for idx in range(states.shape[0]):
        f2 = states[idx]
        if f2 == 0:
            if tangent:
                for k in range(KT):
                    t2[0, k] = NEG_INF
            if consistent(M, M.initial):
                kmin[0] = 0
                lower[0, 0, 0] = -need0[0]
                lower[0, 0, 1] = -need0[1]
                if tangent:
                    t2[0, 0] = 0.0
            else:
                kmin[0] = 127
                lower[0, 0, 0] = NEG_INF
                lower[0, 0, 1] = NEG_INF
            continue
        for k in range(KT):
            best[k] = NEG_INF
        km = 127
        low0 = NEG_INF
        low1 = NEG_INF
        u0 = u[f2, 0]
        u1 = u[f2, 1]
        for e in range(into_start[f2], into_start[f2 + 1]):
            f = np.int64(into_from[e])
            kf = kmin[f]
            if kf >= K:
                continue
            c = into_combo[e]
            pay0 = u0 - cost[c, 0]  # a(s, S), as _common.stage_payoffs computes it
            pay1 = u1 - cost[c, 1]
            if kf + 1 < km:
                km = kf + 1
            h = lower[f, 0, 0] + pay0
            if h > low0:
                low0 = h
            h = lower[f, 0, 1] + pay1
            if h > low1:
                low1 = h
            if tangent:  # every k, the same few operations: the loop is vectorised
                row = t2[f]
                for k in range(KT - 1):
                    v = row[k] + w0[k] * pay0 + w1[k] * pay1
                    best[k + 1] = v if v > best[k + 1] else best[k + 1]
        kmin[f2] = km
        lower[f2, 0, 0] = low0 / d0  # rounding is monotone: the most of x/δ is the most of x, over δ
        lower[f2, 0, 1] = low1 / d1
        if tangent:
            for k in range(KT):
                t2[f2, k] = best[k]


@njit(cache=True, nogil=True)
def _weights(lam, powk, KT, D, P):  # type: ignore[no-untyped-def]
    """[k, d, p]: lam[d, p]·δ_p^k, the first product of each tangent term (k < KT)."""
    weight = np.empty((KT, D, P))
    for k in range(KT):
        for d in range(D):
            for p in range(P):
                weight[k, d, p] = lam[d, p] * powk[k, p]
    return weight


@njit(cache=True, nogil=True)
def finish_bounds(need0, powk, lower, kmin):  # type: ignore[no-untyped-def]
    """Turn every state's row of ``reach_bounds`` into its bound (+∞: unreachable)."""
    P = lower.shape[2]
    J = lower.shape[1]
    K = powk.shape[0] - 1
    row = np.empty(K + 1)
    for f in range(lower.shape[0]):
        if kmin[f] > K:
            for jj in range(J):
                for p in range(P):
                    lower[f, jj, p] = np.inf
            continue
        for p in range(P):
            if J == 1:
                lower[f, 0, p] = -lower[f, 0, p]
                continue
            for k in range(K + 1):
                row[k] = lower[f, k, p]
            running = np.inf
            for k in range(K + 1):
                if row[k] > NEG_INF:
                    need = (need0[p] - row[k]) / powk[k, p]
                    if need < running:
                        running = need
                lower[f, K - k, p] = running


@njit(cache=True, nogil=True)
def tangent_paths(states, M, A, u, lam, powk, lower, kmin, tang):  # type: ignore[no-untyped-def]
    """tang[f, k, d] for ``states`` (all of one size, after every smaller state): the most
    Σ_p lam[d, p]·B_k(f, p) over valid paths of k stages from the status quo to f (IC
    ignored, so an upper bound); −∞ where there is none. k < tang.shape[1]. A path to f has
    between kmin[f] and |f| stages (each adds a move)."""
    P = M.n_parties
    KT = tang.shape[1]
    D = tang.shape[2]
    cost = A.stage_cost
    z = stage_space(M)
    stages = z.out
    combo = z.combo
    edges = M.into_start.shape[0] > 0
    into_start = M.into_start
    into_from = M.into_from
    into_combo = M.into_combo
    pay = np.empty(P)
    weight = _weights(lam, powk, KT, D, P)
    for idx in range(states.shape[0]):
        f2 = states[idx]
        for k in range(KT):
            for d in range(D):
                tang[f2, k, d] = NEG_INF
        if lower[f2, 0, 0] == np.inf:
            continue
        if f2 == 0:
            for d in range(D):
                tang[0, 0, d] = 0.0
            continue
        size = 0  # |f2|: a predecessor's paths have fewer stages
        rest = f2
        while rest:
            rest &= rest - 1
            size += 1
        n = into_start[f2 + 1] - into_start[f2] if edges else stages_into(M, f2, z)
        for t in range(n):
            if edges:
                e = into_start[f2] + t
                f = np.int64(into_from[e])
                c = into_combo[e]
            else:
                f = f2 ^ stages[t]
                c = combo[t]
            if lower[f, 0, 0] == np.inf:
                continue
            for p in range(P):  # a(s, S), as _common.stage_payoffs computes it
                pay[p] = u[f2, p] - cost[c, p]
            _extend_tangents(tang, f, f2, kmin[f], min(KT - 1, size), weight, pay)


@njit(cache=True, nogil=True)
def plan_values(M, A, stages, enforce_ic, enforce_stable, x, out, check=True):  # type: ignore[no-untyped-def]
    """V(1) of the schedule ``stages`` (free-move masks, stage 1 first) into ``out``, as the DP
    values it (the same operations in the same order; u_p(f) is ``flow_sum``, which ``flows``
    equals bit for bit), if the DP could keep it: every stage valid from its state, at most
    max_stages of them, IC for every party at every stage (``enforce_ic``) and a stable final
    agreement (``enforce_stable``). Returns whether it could. A caller's hint for the floor is
    checked here, so that only a feasible plan's score bounds the search. Without ``check``
    only the stages' validity is checked (the values are the same)."""
    P = M.n_parties
    K = stages.shape[0]
    n_total = M.n_total
    if K == 0 or K > M.max_stages:
        return False
    z = x.z
    delta = A.delta
    cost = A.stage_cost
    edges = M.out_start.shape[0] > 0
    fs = np.zeros(K + 1, dtype=np.int64)
    combos = np.empty(K, dtype=np.int64)
    for k in range(K):
        stage = stages[k]
        if stage == 0 or (fs[k] & stage) != 0:
            return False
        combos[k] = -1
        if edges:  # the stages kept with the structure, else enumerated
            for e in range(M.out_start[fs[k]], M.out_start[fs[k] + 1]):
                if M.out_stage[e] == stage:
                    combos[k] = M.out_combo[e]
                    break
        else:
            n = valid_stages(M, fs[k], z)
            for t in range(n):
                if z.out[t] == stage:
                    combos[k] = z.combo[t]
                    break
        if combos[k] < 0:
            return False
        fs[k + 1] = fs[k] | stage
    s = fs[K] | M.initial
    if check and enforce_stable and not is_stable(A, P, s, n_total, M.max_exhaustive, x.hidden, x.work):
        return False
    for p in range(P):
        out[p] = flow_sum(A, p, s, n_total) / (1.0 - delta[p])
    for k in range(K - 1, -1, -1):
        s2 = fs[k + 1] | M.initial
        for p in range(P):
            out[p] = (flow_sum(A, p, s2, n_total) - cost[combos[k], p]) + delta[p] * out[p]
        if check and enforce_ic:
            s = fs[k] | M.initial
            for p in range(P):
                if out[p] < deviation(A, p, s, np.int64(stages[k]), n_total) - TOL:
                    return False
    return True


@njit(cache=True, nogil=True)
def plans_values(M, A, stages, lengths, enforce_ic, enforce_stable, x, out, kept, check):  # type: ignore[no-untyped-def]
    """``plan_values`` of each row h of ``stages`` (its first ``lengths[h]`` masks) into
    ``out[h]`` and ``kept[h]``: one call for all of a solve's hints."""
    for h in range(stages.shape[0]):
        kept[h] = plan_values(M, A, stages[h, : lengths[h]], enforce_ic, enforce_stable, x, out[h], check)


@njit(cache=True, nogil=True)
def first_feasible(M, A, stages, lengths, order, enforce_ic, enforce_stable, x, out):  # type: ignore[no-untyped-def]
    """The first row h of ``order`` whose schedule ``plan_values`` keeps (its values into
    ``out``), or −1: the best feasible hint, with the hints in order of rank, checked only
    until one is feasible."""
    for i in range(order.shape[0]):
        h = order[i]
        if plan_values(M, A, stages[h, : lengths[h]], enforce_ic, enforce_stable, x, out):
            return h
    return -1
