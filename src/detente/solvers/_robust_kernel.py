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
    grown,
    offer_any,
    stage_payoffs,
    valid_stages,
)


@njit(cache=True, nogil=True)
def solve_agents(order, M, A, u, enforce, st, x, counters):  # type: ignore[no-untyped-def]
    """Every state's Pareto frontier over the agents' values, states taken in ``order``
    (largest sets first), written to the store ``st``. Stops before a state whose frontier
    does not fit in the store. Returns (states done, entries written); ``counters`` gets
    (transitions, candidates).

    Per agent a: its world's flows, reversal costs, lag weights and verifiability (row or
    column a of the ``Agents`` arrays): agents may live in worlds that differ in any number.
    ``u[f, a]``: the flow of every state to every agent (``_common.flows``).
    """
    n_agents = enforce.shape[0]
    n_total = M.n_total
    cap = st.j.shape[0]
    size = 0
    for idx in range(order.shape[0]):
        f = order[idx]
        s = f | M.initial
        if not consistent(M, s):
            continue
        nc = 0
        nk = 0
        if f != 0:  # stop here: s is the final agreement (at the root, stopping is no deal)
            ok = True
            for a in range(n_agents):
                comply = u[f, a] / (1.0 - A.delta[a])
                dev = final_best(A, a, s, n_total, M.max_exhaustive, x.hidden, x.work, np.inf)
                if enforce[a]:
                    if dev > comply + TOL:
                        ok = False
                        break
                    x.c_val[nc, a] = comply
                else:
                    x.c_val[nc, a] = comply if comply >= dev else dev
            if ok:
                x.c_j[nc] = 0
                x.c_stage[nc] = 0
                x.c_next[nc] = -1
                x.kept[0] = 0
                nk = 1
                nc = 1
                counters[1] += 1
        run_d = x.stop_val  # one run at a time: the agents' deviations
        n_st = valid_stages(M, f, x.z)
        stage_payoffs(f, n_st, x.z, u, A.party, A.set_cost, A.unrec, M.offsets, x.pay)
        for t in range(n_st):
            stage = x.z.out[t]
            f2 = f | stage
            if st.counts[f2] == 0:
                continue
            counters[0] += 1
            run_a = x.pay[t]
            for a in range(n_agents):
                run_d[a] = deviation(A, a, s, stage, n_total)
            for e in range(st.starts[f2], st.starts[f2] + st.counts[f2]):
                if st.j[e] + 1 > M.max_stages:
                    continue
                if nc >= x.c_j.shape[0]:
                    x = grown(M, x, nc, nk)  # the runs' arrays are carried over
                feasible = True
                for a in range(n_agents):
                    v = run_a[a] + A.delta[a] * st.val[e, a]
                    if enforce[a]:
                        if v < run_d[a] - TOL:
                            feasible = False
                            break
                    elif run_d[a] > v:
                        v = run_d[a]
                    x.c_val[nc, a] = v
                if not feasible:
                    continue
                x.c_j[nc] = st.j[e] + 1
                x.c_stage[nc] = stage
                x.c_next[nc] = e
                counters[1] += 1
                res = offer_any(nc, nk, n_agents, x.c_val, x.c_j, x.c_stage, x.c_next, x.kept, st.stage, st.next)
                if res >= 0:
                    nk = res
                    nc += 1
        if nk == 0:
            continue
        if size + nk > cap:
            return idx, size
        st.starts[f] = size
        st.counts[f] = nk
        for ki in range(nk):
            k = x.kept[ki]
            for a in range(n_agents):
                st.val[size, a] = x.c_val[k, a]
            st.j[size] = x.c_j[k]
            st.stage[size] = x.c_stage[k]
            st.next[size] = x.c_next[k]
            size += 1
    return order.shape[0], size
