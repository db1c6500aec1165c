"""The compiled DP of the type-robust solve (docs/model.md, "Deals against the wrong type").

The plain kernel's plan values are per party; here they are per *agent*, a (party, type)
pair with its own payoffs. An agent whose type is likely enough (``enforce``) must want to
comply at every stage and keep the final agreement, exactly as a party in the plain solve.
Any other agent may quit: its value is that of an optimal stopping problem,
W(k) = max(D(k), a(k) + δ·W(k+1)), ending with max(stay, best final deviation). W is
non-decreasing in W(k+1), so a plan dominated in every agent's value stays dominated one
stage earlier, and the Pareto frontier over agents stays exact. This kernel keeps the whole
frontier (no bound on a bargaining rule): its frontier at the status quo is an output.
Deviations, stability and the frontier rule (``offer_any``) come from ``_common``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from detente.solvers._common import (
    TOL,
    consistent,
    deviation,
    final_best,
    offer_any,
    valid_stages,
)


@njit(cache=True, nogil=True)
def solve_agents(order, lo, size, M, A, u, enforce, st, x, counters):  # type: ignore[no-untyped-def]
    """Every state's Pareto frontier over the agents' values, states taken in ``order``
    (largest sets first) from ``order[lo]`` on, written to the store ``st`` from entry ``size``
    on. Returns (the next state to do, entries written, why it stopped: 0 every state is done,
    1 the store is full, 2 the scratch ``x`` is too small for a state's candidates: the caller
    grows it and calls again from that state); ``counters`` gets (transitions, candidates).
    ``x`` is never rebound here: a bundle rebound in a loop is reference-counted member by
    member at every iteration.

    Per agent a: its world's flows, reversal costs, lag weights and verifiability (row or
    column a of the ``Agents`` arrays): agents may live in worlds that differ in any number.
    ``u[f, a]``: the flow of every state to every agent (``_common.flows``).
    """
    n_agents = enforce.shape[0]
    n_total = M.n_total
    initial = M.initial
    max_stages = M.max_stages
    max_exhaustive = M.max_exhaustive
    n_parties = M.n_parties
    two = n_parties == 2
    party = A.party
    cost = A.stage_cost
    delta = A.delta
    cap = st.j.shape[0]
    starts = st.starts
    counts = st.counts
    e_val = st.val
    e_j = st.j
    e_stage = st.stage
    e_next = st.next
    z = x.z
    stages = z.out
    combo = z.combo
    picks = z.picks
    c_val = x.c_val
    c_j = x.c_j
    c_stage = x.c_stage
    c_next = x.c_next
    kept = x.kept
    ccap = c_j.shape[0]
    run_d = x.stop_val  # one run at a time: the agents' deviations
    pay = x.pay
    devs = x.devs  # two parties: D_a depends only on the other party's part of the stage
    hidden = x.hidden
    work = x.work
    for idx in range(lo, order.shape[0]):
        f = order[idx]
        s = f | initial
        if not consistent(M, s):
            continue
        saved0 = counters[0]
        saved1 = counters[1]
        nc = 0
        nk = 0
        if f != 0:  # stop here: s is the final agreement (at the root, stopping is no deal)
            ok = True
            for a in range(n_agents):
                comply = u[f, a] / (1.0 - delta[a])
                dev = final_best(A, a, s, n_total, max_exhaustive, hidden, work, np.inf)
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
        if two:
            for a in range(n_agents):
                for q in range(devs.shape[1]):
                    devs[a, q, 0] = np.nan
                    devs[a, q, 1] = np.nan
        n_st = valid_stages(M, f, z)
        for t in range(n_st):
            stage = stages[t]
            f2 = f | stage
            if counts[f2] == 0:
                continue
            counters[0] += 1
            c = combo[t]
            for a in range(n_agents):  # a(s, S) as _common.stage_payoffs computes it
                pay[t, a] = u[f2, a] - cost[c, a]
            for a in range(n_agents):
                if two:
                    p = party[a]
                    q = picks[t, 1 - p]
                    mine = 1 if picks[t, p] > 0 else 0
                    dv = devs[a, q, mine]
                    if dv != dv:  # not computed yet
                        dv = deviation(A, a, s, stage, n_total)
                        devs[a, q, mine] = dv
                    run_d[a] = dv
                else:
                    run_d[a] = deviation(A, a, s, stage, n_total)
            for e in range(starts[f2], starts[f2] + counts[f2]):
                if e_j[e] + 1 > max_stages:
                    continue
                if nc >= ccap:
                    counters[0] = saved0
                    counters[1] = saved1
                    return idx, size, 2
                feasible = True
                for a in range(n_agents):
                    v = pay[t, a] + delta[a] * e_val[e, a]
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
                res = offer_any(nc, nk, n_agents, c_val, c_j, c_stage, c_next, kept, e_stage, e_next)
                if res >= 0:
                    nk = res
                    nc += 1
        if nk == 0:
            continue
        if size + nk > cap:
            counters[0] = saved0
            counters[1] = saved1
            return idx, size, 1
        starts[f] = size
        counts[f] = nk
        for ki in range(nk):
            k = kept[ki]
            for a in range(n_agents):
                e_val[size, a] = c_val[k, a]
            e_j[size] = c_j[k]
            e_stage[size] = c_stage[k]
            e_next[size] = c_next[k]
            size += 1
    return order.shape[0], size, 0
