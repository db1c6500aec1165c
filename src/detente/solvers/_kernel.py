"""The compiled inner loop of the sequencing DP (MODEL.md section 7), in numba.

States are masks over the free moves (bits 0..n_free−1); the full state adds ``initial``.
For each state, processed from the largest mask down (a stage only adds moves), the kernel
builds the Pareto frontier of plans over (V_1..V_P, −stages), with section 6's tie-break for
equal vectors. Values are computed with exactly the operations of :mod:`detente.model.payoffs`
so that solver and audit agree bit for bit; deviations (section 4) and the final checks
(section 5) are re-implemented here and cross-checked against the Python reference in tests.
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
def _deviation(s, stage, p, own, own_rev, own_pays, snap_others, flow, rc, delta, penalty, n_total):  # type: ignore[no-untyped-def]
    """D_p(s, S) of section 4, or −inf when p has no deviation."""
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
                    v = -rc[i] - flow[i, p] / (1.0 - d)
                    if v > best_val:
                        best_val = v
                        best = i
            rev = np.int64(1) << best
    x = (s | (stage & ~own[p])) & ~rev
    y = x & ~snap_others[p]
    rtot = 0.0
    for i in range(n_total):
        if (rev >> i) & 1:
            rtot += rc[i]
    ux = _sum_flow(x, p, flow, n_total)
    uy = _sum_flow(y, p, flow, n_total)
    return ux - rtot + d * (uy - penalty[p]) / (1.0 - d)


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
def _is_stable(s, P, own, own_rev, own_pays, snap_others, flow, rc, delta, penalty, verif, verif_with, n_total, max_exhaustive):  # type: ignore[no-untyped-def]
    """Section 5: overt and covert stability of the full state s."""
    hidden = np.empty(n_total, dtype=np.int64)
    for p in range(P):
        d = delta[p]
        u = _sum_flow(s, p, flow, n_total)
        comply = u / (1.0 - d)
        dev = _deviation(s, np.int64(0), p, own, own_rev, own_pays, snap_others, flow, rc, delta, penalty, n_total)
        if dev > comply + TOL:
            return False
        nh = 0
        for i in range(n_total):
            if (s >> i) & 1 and (own[p] >> i) & 1:
                if _verif(i, s, verif, verif_with, n_total) < 1.0:
                    hidden[nh] = i
                    nh += 1
        if nh == 0:
            continue
        if nh <= max_exhaustive:
            n_sets = (1 << nh) - 1
        else:
            n_sets = nh + 1
        for k in range(n_sets):
            cheat = np.int64(0)
            if nh <= max_exhaustive:
                code = k + 1
                for j in range(nh):
                    if (code >> j) & 1:
                        cheat |= np.int64(1) << hidden[j]
            elif k < nh:
                cheat = np.int64(1) << hidden[k]
            else:
                for j in range(nh):
                    cheat |= np.int64(1) << hidden[j]
            miss = 1.0
            gain = 0.0
            for i in range(n_total):
                if (cheat >> i) & 1:
                    miss *= 1.0 - _verif(i, s, verif, verif_with, n_total)
                    gain += -flow[i, p]
            q = 1.0 - miss
            base = s & ~cheat
            rev = base & own_pays[p]
            yb = base & ~rev
            y = yb & ~snap_others[p]
            rtot = 0.0
            for i in range(n_total):
                if (rev >> i) & 1:
                    rtot += rc[i]
            pun = (_sum_flow(y, p, flow, n_total) - penalty[p]) / (1.0 - d) - rtot
            x = (u + gain + d * q * pun) / (1.0 - d * (1.0 - q))
            if x > comply + TOL:
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
    """Compare two plans with the same number of stages by section 6's lexicographic key."""
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
def _prune_any(order, nc, P, c_val, c_j, c_stage, c_next, kept, ent_stage, ent_next):  # type: ignore[no-untyped-def]
    """Pareto-prune candidates for any number of parties: O(candidates × frontier)."""
    nk = 0
    for oi in range(nc):
        c = order[oi]
        dominated = False
        for ki in range(nk):
            k = kept[ki]
            if _dominates(c_val[k], c_j[k], c_stage[k], c_next[k], c_val[c], c_j[c], c_stage[c], c_next[c], P, ent_stage, ent_next):
                dominated = True
                break
        if dominated:
            continue
        w = 0
        for ki in range(nk):
            k = kept[ki]
            if not _dominates(c_val[c], c_j[c], c_stage[c], c_next[c], c_val[k], c_j[k], c_stage[k], c_next[k], P, ent_stage, ent_next):
                kept[w] = k
                w += 1
        nk = w
        kept[nk] = c
        nk += 1
    return nk


@njit(cache=True)
def _prune_two(order, nc, c_val, c_j, c_stage, c_next, kept, prefmax, ent_stage, ent_next):  # type: ignore[no-untyped-def]
    """The same pruning as :func:`_prune_any` for two parties, in about O(candidates).

    Candidates come in decreasing V_0, so every kept plan has V_0 at least the candidate's.
    ``prefmax[j]`` is the largest V_1 among kept plans with at most j stages: a candidate
    clearly below it is dominated, one clearly above it is not; only near-ties (within the
    tolerance) fall back to the exact pairwise rule.
    """
    nj = prefmax.shape[0]
    for j in range(nj):
        prefmax[j] = NEG_INF
    nk = 0
    for oi in range(nc):
        c = order[oi]
        jc = c_j[c]
        v1 = c_val[c, 1]
        q = prefmax[jc]
        if q > v1 + TOL:
            continue
        if q >= v1 - TOL:
            dominated = False
            for ki in range(nk):
                k = kept[ki]
                if _dominates(c_val[k], c_j[k], c_stage[k], c_next[k], c_val[c], jc, c_stage[c], c_next[c], 2, ent_stage, ent_next):
                    dominated = True
                    break
            if dominated:
                continue
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
        nk += 1
        for j in range(jc, nj):
            if v1 > prefmax[j]:
                prefmax[j] = v1
    return nk


@njit(cache=True)
def solve_kernel(n_free, n_total, P, owner, flow, upfront, rc, reversible, rev_pays, requires, initial, delta, unrec, penalty, verif, verif_with, party_subsets, party_offsets, max_stages, enforce_ic, enforce_stable, max_exhaustive):  # type: ignore[no-untyped-def]
    n_states = np.int64(1) << n_free
    own = np.zeros(P, dtype=np.int64)
    own_rev = np.zeros(P, dtype=np.int64)
    own_pays = np.zeros(P, dtype=np.int64)
    all_pays = np.int64(0)
    for i in range(n_total):
        bit = np.int64(1) << i
        own[owner[i]] |= bit
        if reversible[i]:
            own_rev[owner[i]] |= bit
        if rev_pays[i]:
            own_pays[owner[i]] |= bit
            all_pays |= bit
    snap_others = np.zeros(P, dtype=np.int64)
    for p in range(P):
        snap_others[p] = all_pays & ~own[p]

    # flows of every reachable full state, summed in index order (as in model.payoffs)
    u_tab = np.empty((n_states, P))
    for f in range(n_states):
        for p in range(P):
            u_tab[f, p] = _sum_flow(np.int64(f) | initial, p, flow, n_total)

    state_start = np.zeros(n_states, dtype=np.int64)
    state_count = np.zeros(n_states, dtype=np.int64)
    cap = 1024
    ent_val = np.empty((cap, P))
    ent_j = np.empty(cap, dtype=np.int64)
    ent_stage = np.empty(cap, dtype=np.int64)
    ent_next = np.empty(cap, dtype=np.int64)
    n_ent = 0

    ccap = 1024
    c_val = np.empty((ccap, P))
    c_j = np.empty(ccap, dtype=np.int64)
    c_stage = np.empty(ccap, dtype=np.int64)
    c_next = np.empty(ccap, dtype=np.int64)

    n_sub = party_offsets[P]
    avail = np.empty(n_sub, dtype=np.int64)
    avail_start = np.zeros(P + 1, dtype=np.int64)
    odo = np.zeros(P, dtype=np.int64)
    a_vec = np.empty(P)
    d_vec = np.empty(P)
    kept = np.empty(ccap, dtype=np.int64)
    prefmax = np.empty(max_stages + 2)
    transitions = np.int64(0)
    candidates = np.int64(0)

    for f_ in range(n_states - 1, -1, -1):
        f = np.int64(f_)
        s = f | initial
        consistent = True
        for i in range(n_total):
            if (s >> i) & 1 and (requires[i] & ~s) != 0:
                consistent = False
                break
        if not consistent:
            continue
        nc = 0
        # "stop": s is a final agreement (never at the root, where stopping is no deal)
        if f != 0:
            if (not enforce_stable) or _is_stable(s, P, own, own_rev, own_pays, snap_others, flow, rc, delta, penalty, verif, verif_with, n_total, max_exhaustive):
                for p in range(P):
                    c_val[nc, p] = u_tab[f, p] / (1.0 - delta[p])
                c_j[nc] = 0
                c_stage[nc] = 0
                c_next[nc] = -1
                nc += 1
        # the stages available: per party, subsets of its remaining free moves (size ≤ max)
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
        while True:
            stage = np.int64(0)
            for p in range(P):
                stage |= avail[avail_start[p] + odo[p]]
            if stage != 0:
                f2 = f | stage
                s2 = f2 | initial
                ok = True
                for i in range(n_free):
                    if (stage >> i) & 1 and (requires[i] & ~s2) != 0:
                        ok = False
                        break
                if ok and state_count[f2] > 0:
                    transitions += 1
                    for p in range(P):
                        a_vec[p] = u_tab[f2, p] - _one_time(stage, p, owner, upfront, unrec, n_total)
                        if enforce_ic:
                            d_vec[p] = _deviation(s, stage, p, own, own_rev, own_pays, snap_others, flow, rc, delta, penalty, n_total)
                        else:
                            d_vec[p] = NEG_INF
                    st = state_start[f2]
                    for e in range(st, st + state_count[f2]):
                        if ent_j[e] + 1 > max_stages:
                            continue
                        feasible = True
                        for p in range(P):
                            v = a_vec[p] + delta[p] * ent_val[e, p]
                            if v < d_vec[p] - TOL:
                                feasible = False
                                break
                        if not feasible:
                            continue
                        if nc >= ccap:
                            ccap *= 2
                            c_val2 = np.empty((ccap, P))
                            c_val2[:nc] = c_val[:nc]
                            c_val = c_val2
                            c_j = np.concatenate((c_j[:nc], np.empty(ccap - nc, dtype=np.int64)))
                            c_stage = np.concatenate((c_stage[:nc], np.empty(ccap - nc, dtype=np.int64)))
                            c_next = np.concatenate((c_next[:nc], np.empty(ccap - nc, dtype=np.int64)))
                            kept = np.empty(ccap, dtype=np.int64)
                        for p in range(P):
                            c_val[nc, p] = a_vec[p] + delta[p] * ent_val[e, p]
                        c_j[nc] = ent_j[e] + 1
                        c_stage[nc] = stage
                        c_next[nc] = e
                        nc += 1
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
        if nc == 0:
            continue
        candidates += nc
        # Pareto-prune the candidates, best first along the first party's value
        order = np.argsort(-c_val[:nc, 0])
        if P == 2:
            nk = _prune_two(order, nc, c_val, c_j, c_stage, c_next, kept, prefmax, ent_stage, ent_next)
        else:
            nk = _prune_any(order, nc, P, c_val, c_j, c_stage, c_next, kept, ent_stage, ent_next)
        if n_ent + nk > cap:
            while n_ent + nk > cap:
                cap *= 2
            ev2 = np.empty((cap, P))
            ev2[:n_ent] = ent_val[:n_ent]
            ent_val = ev2
            ent_j = np.concatenate((ent_j[:n_ent], np.empty(cap - n_ent, dtype=np.int64)))
            ent_stage = np.concatenate((ent_stage[:n_ent], np.empty(cap - n_ent, dtype=np.int64)))
            ent_next = np.concatenate((ent_next[:n_ent], np.empty(cap - n_ent, dtype=np.int64)))
        state_start[f] = n_ent
        state_count[f] = nk
        for ki in range(nk):
            k = kept[ki]
            for p in range(P):
                ent_val[n_ent, p] = c_val[k, p]
            ent_j[n_ent] = c_j[k]
            ent_stage[n_ent] = c_stage[k]
            ent_next[n_ent] = c_next[k]
            n_ent += 1
    return ent_val[:n_ent], ent_j[:n_ent], ent_stage[:n_ent], ent_next[:n_ent], state_start, state_count, transitions, candidates
