"""FROZEN COPY for benchmarks only (commit 99c9c35, before branch and bound); do not edit.

The compiled DP of the type-robust solve (docs/model.md, "The solver" and "Types and beliefs"), in numba.

The plain kernel's plan values are per party; here they are per *agent*, a (party, type)
pair with its own payoffs. An agent whose type is likely enough (``enforce``) must want to
comply at every stage and keep the final agreement, exactly as a party in the plain solve.
Any other agent may quit: its value is that of an optimal stopping problem,
W(k) = max(D(k), a(k) + δ·W(k+1)), ending with max(stay, best final deviation). W is
non-decreasing in W(k+1), so a plan dominated in every agent's value stays dominated one
stage earlier, and the Pareto frontier over agents stays exact. The frontier itself uses
the plain kernel's pruning rule (``_offer_any``): same tolerance, same tie-break.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from baseline_solver._kernel import (
    _deviation,
    _final_best,
    _grow,
    _grow_rows,
    _offer_any,
    _sum_flow,
    work_space,
)

TOL = 1e-9
NEG_INF = -np.inf


@njit(cache=True)
def _one_time(stage, own_a, upfront_a, unrec_a, n_total):  # type: ignore[no-untyped-def]
    """The agent's one-time cost of a stage: its upfront costs, and its unreciprocated cost
    when it alone moves (the plain kernel's ``_one_time`` over ownership masks)."""
    total = 0.0
    mine = stage & own_a
    for i in range(n_total):
        if (mine >> i) & 1:
            total += upfront_a[i]
    if stage != 0 and (stage & ~own_a) == 0:
        total += unrec_a
    return total


@njit(cache=True)
def solve_agents(order, n_free, n_total, A, own, own_rev, own_pays, snap_others, flow, upfront, rc, lasting, lasting_next, tail, unrec, penalty, delta, enforce, verif, verif_with, requires, initial, party_subsets, party_offsets, n_parties, max_stages, max_exhaustive):  # type: ignore[no-untyped-def]
    """Every state's Pareto frontier over the agents' values, states taken in ``order``
    (largest sets first). Returns the entries (values, stages, stage mask, next entry),
    each state's (start, count), and (transitions, candidates).

    Per agent a: its world's flows (column a of ``flow``), reversal costs, lag weights
    (row a of ``lasting``, ``lasting_next``, ``tail``) and verifiability (``verif[a]``,
    ``verif_with[a]``): agents may live in worlds that differ in any number."""
    n_states = np.int64(1) << n_free
    start = np.zeros(n_states, dtype=np.int64)
    count = np.zeros(n_states, dtype=np.int64)
    cap = 1024
    e_val = np.empty((cap, A))
    e_j = np.empty(cap, dtype=np.int64)
    e_stage = np.empty(cap, dtype=np.int64)
    e_next = np.empty(cap, dtype=np.int64)
    n_ent = 0
    ccap = 256
    c_val = np.empty((ccap, A))
    c_j = np.empty(ccap, dtype=np.int64)
    c_stage = np.empty(ccap, dtype=np.int64)
    c_next = np.empty(ccap, dtype=np.int64)
    kept = np.empty(ccap + 1, dtype=np.int64)
    hidden, work = work_space(n_total, max_exhaustive)
    avail = np.empty(party_offsets[n_parties], dtype=np.int64)
    avail_start = np.zeros(n_parties + 1, dtype=np.int64)
    odo = np.zeros(n_parties, dtype=np.int64)
    run_a = np.empty(A)
    run_d = np.empty(A)
    counters = np.zeros(2, dtype=np.int64)
    for idx in range(order.shape[0]):
        f = order[idx]
        s = f | initial
        consistent = True
        for i in range(n_total):
            if (s >> i) & 1 and (requires[i] & ~s) != 0:
                consistent = False
                break
        if not consistent:
            continue
        nc = 0
        nk = 0
        if f != 0:  # stop here: s is the final agreement (at the root, stopping is no deal)
            ok = True
            for a in range(A):
                comply = _sum_flow(s, a, flow, n_total) / (1.0 - delta[a])
                dev = _final_best(s, a, own, own_rev, own_pays, snap_others, flow, rc[a], lasting, lasting_next, tail, delta, penalty, verif[a], verif_with[a], n_total, max_exhaustive, hidden, work, np.inf)
                if enforce[a]:
                    if dev > comply + TOL:
                        ok = False
                        break
                    c_val[nc, a] = comply
                else:
                    c_val[nc, a] = comply if comply >= dev else dev
            if ok:
                c_j[nc] = 0
                c_stage[nc] = 0
                c_next[nc] = -1
                kept[0] = 0
                nk = 1
                nc = 1
                counters[1] += 1
        pos = 0
        for p in range(n_parties):
            avail_start[p] = pos
            for k in range(party_offsets[p], party_offsets[p + 1]):
                if (party_subsets[k] & f) == 0:
                    avail[pos] = party_subsets[k]
                    pos += 1
        avail_start[n_parties] = pos
        for p in range(n_parties):
            odo[p] = 0
        while True:
            stage = np.int64(0)
            for p in range(n_parties):
                stage |= avail[avail_start[p] + odo[p]]
            if stage != 0:
                f2 = f | stage
                s2 = f2 | initial
                ok = True
                for i in range(n_free):
                    if (stage >> i) & 1 and (requires[i] & ~s2) != 0:
                        ok = False
                        break
                if ok and count[f2] > 0:
                    counters[0] += 1
                    for a in range(A):
                        run_a[a] = _sum_flow(s2, a, flow, n_total) - _one_time(stage, own[a], upfront[a], unrec[a], n_total)
                        run_d[a] = _deviation(s, stage, a, own, own_rev, own_pays, snap_others, flow, rc[a], lasting, lasting_next, tail, delta, penalty, n_total)
                    for e in range(start[f2], start[f2] + count[f2]):
                        if e_j[e] + 1 > max_stages:
                            continue
                        if nc >= ccap:
                            ccap *= 2
                            c_val = _grow_rows(c_val, nc, ccap)
                            c_j = _grow(c_j, nc, ccap)
                            c_stage = _grow(c_stage, nc, ccap)
                            c_next = _grow(c_next, nc, ccap)
                            kept = _grow(kept, nk, ccap + 1)
                        feasible = True
                        for a in range(A):
                            v = run_a[a] + delta[a] * e_val[e, a]
                            if enforce[a]:
                                if v < run_d[a] - TOL:
                                    feasible = False
                                    break
                            elif run_d[a] > v:
                                v = run_d[a]
                            c_val[nc, a] = v
                        if not feasible:
                            continue
                        c_j[nc] = e_j[e] + 1
                        c_stage[nc] = stage
                        c_next[nc] = e
                        counters[1] += 1
                        res = _offer_any(nc, nk, A, c_val, c_j, c_stage, c_next, kept, e_stage, e_next)
                        if res >= 0:
                            nk = res
                            nc += 1
            p = 0
            while p < n_parties:
                odo[p] += 1
                if avail_start[p] + odo[p] < avail_start[p + 1]:
                    break
                odo[p] = 0
                p += 1
            if p == n_parties:
                break
        if nk == 0:
            continue
        if n_ent + nk > cap:
            while n_ent + nk > cap:
                cap *= 2
            e_val = _grow_rows(e_val, n_ent, cap)
            e_j = _grow(e_j, n_ent, cap)
            e_stage = _grow(e_stage, n_ent, cap)
            e_next = _grow(e_next, n_ent, cap)
        start[f] = n_ent
        count[f] = nk
        for ki in range(nk):
            k = kept[ki]
            for a in range(A):
                e_val[n_ent, a] = c_val[k, a]
            e_j[n_ent] = c_j[k]
            e_stage[n_ent] = c_stage[k]
            e_next[n_ent] = c_next[k]
            n_ent += 1
    return start, count, e_val[:n_ent], e_j[:n_ent], e_stage[:n_ent], e_next[:n_ent], counters
