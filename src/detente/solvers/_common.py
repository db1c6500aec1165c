"""Compiled primitives shared by the plain DP and the type-robust DP (numba).

Everything here reads an agent's numbers from the :class:`~detente.solvers.bundles.Agents`
bundle (agent a: a party in the plain solve, a (party, type) pair in the robust one) and the
structure from :class:`~detente.solvers.bundles.Moves`. Values are computed with exactly the
operations, in the same order, of :mod:`detente.model.payoffs`, :mod:`detente.model.deviation`
and :mod:`detente.model.stability`, so that the solver and the audit agree bit for bit; the
property tests compare both through the brute-force oracle.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from detente.model.game import TOLERANCE
from detente.solvers.bundles import Scratch, Stages

TOL = TOLERANCE  # IC, stability and "equal values" hold within this tolerance ('Deviations' (docs/model.md))
NEG_INF = -np.inf


@njit(cache=True, nogil=True)
def flow_sum(A, a, s, n_total):  # type: ignore[no-untyped-def]
    """u_a(s): the flows of the moves in s, summed in index order."""
    flow = A.flow
    total = 0.0
    for i in range(n_total):
        if (s >> i) == 0:
            break
        if (s >> i) & 1:
            total += flow[i, a]
    return total


@njit(cache=True, nogil=True)
def deviation(A, a, s, stage, n_total):  # type: ignore[no-untyped-def]
    """D_a(s, S) of docs/model.md, "Deviations" (with reversal lags), or −inf when a has no
    deviation: the same sums, in the same order, as ``model.deviation.overt_deviation``."""
    flow = A.flow
    rc = A.rc
    own = A.own[a]
    skipped = stage & own
    orev = s & A.own_rev[a]
    rev = s & A.own_pays[a]
    d = A.delta[a]
    if skipped == 0:
        if orev == 0:
            return NEG_INF
        if rev == 0:
            tail = A.tail
            best = -1
            best_val = NEG_INF
            for i in range(n_total):
                if (orev >> i) & 1:
                    v = -flow[i, a] * tail[a, i] - rc[a, i]
                    if v > best_val:
                        best_val = v
                        best = i
            rev = np.int64(1) << best
    lasting = A.lasting
    lasting_next = A.lasting_next
    x = s | (stage & ~own)
    snapped = x & A.snap[a]
    perp = 1.0 / (1.0 - d)
    total = 0.0
    rtot = 0.0
    for i in range(n_total):
        if (x >> i) & 1:
            if (rev >> i) & 1:
                w = lasting[a, i]
                rtot += rc[a, i]
            elif (snapped >> i) & 1:
                w = lasting_next[a, i]
            else:
                w = perp
            total += flow[i, a] * w
    return total - rtot - d * A.penalty[a] / (1.0 - d)


@njit(cache=True, nogil=True)
def _verif(verif, verif_with, a, m, s, n_total):  # type: ignore[no-untyped-def]
    """v_m(s) in agent a's world."""
    v = verif[a, m]
    for e in range(n_total):
        if (s >> e) & 1:
            w = verif_with[a, m, e]
            if w > v:
                v = w
    return v


@njit(cache=True, nogil=True)
def _covert_value(u, d, miss, gain, keep, rtot, penalty_a):  # type: ignore[no-untyped-def]
    """X_C of 'The final agreement' (docs/model.md): cheat until caught (chance 1 − miss a period), then the punishment."""
    q = 1.0 - miss
    pun = keep - penalty_a / (1.0 - d) - rtot
    return (u + gain + d * q * pun) / (1.0 - d * (1.0 - q))


@njit(cache=True, nogil=True)
def work_space(n_total, max_exhaustive):  # type: ignore[no-untyped-def]
    """Scratch for ``final_best``: the hidden moves, and rows for their terms and subsets."""
    return np.empty(n_total, dtype=np.int64), np.empty((8, max(n_total, np.int64(1) << max_exhaustive)))


@njit(cache=True, nogil=True)
def final_best(A, a, s, n_total, max_exhaustive, hidden, work, enough):  # type: ignore[no-untyped-def]
    """The best deviation of agent a from the final agreement s, overt or covert
    (docs/model.md, "The final agreement"), or −inf when it has none. Covert cheating is on its
    reversible, imperfectly verifiable moves only.

    Every term of a covert cheat's value is a sum (or, for the chance of going unnoticed, a
    product) over the cheated moves, so the 2^h subsets are tabulated each from the subset
    without its highest move: O(2^h) work in all. ``hidden`` and ``work`` are scratch space
    (``work_space``). The search stops at the first deviation worth more than ``enough`` (a
    stability check needs no more; pass +inf for the best).
    """
    d = A.delta[a]
    u = flow_sum(A, a, s, n_total)
    best = deviation(A, a, s, np.int64(0), n_total)
    if best > enough:
        return best
    verif = A.verif
    verif_with = A.verif_with
    own_rev = A.own_rev[a]
    nh = 0
    for i in range(n_total):
        if (s >> i) & 1 and (own_rev >> i) & 1:
            if _verif(verif, verif_with, a, i, s, n_total) < 1.0:
                hidden[nh] = i
                nh += 1
    if nh == 0:
        return best
    flow = A.flow
    lasting = A.lasting
    rc = A.rc
    # with nothing cheated, once caught: each move's flow over the periods it lasts (own
    # paying reversals and the others' snapback last their lag, the rest forever), and the
    # reversal costs paid
    pays = s & A.own_pays[a]
    gone = pays | (s & A.snap[a])
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
                rtot0 += rc[a, i]
    # per hidden move: unnoticed factor, flow saved, flow lost after the snapback, reversal saved
    unseen = work[0]
    saved = work[1]
    lost = work[2]
    spared = work[3]
    for j in range(nh):
        i = hidden[j]
        unseen[j] = 1.0 - _verif(verif, verif_with, a, i, s, n_total)
        saved[j] = -flow[i, a]
        lost[j] = flow[i, a] * (lasting[a, i] if (gone >> i) & 1 else perp)
        spared[j] = rc[a, i] if (pays >> i) & 1 else 0.0
    penalty = A.penalty[a]
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
            x = _covert_value(u, d, miss[k], gain[k], keep[k], rtot[k], penalty)
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
        x = _covert_value(u, d, unseen[j], saved[j], keep0 - lost[j], rtot0 - spared[j], penalty)
        if x > best:
            best = x
        m_all *= unseen[j]
        g_all += saved[j]
        k_all -= lost[j]
        r_all -= spared[j]
    x = _covert_value(u, d, m_all, g_all, k_all, r_all, penalty)
    if x > best:
        best = x
    return best


@njit(cache=True, nogil=True)
def is_stable(A, n_agents, s, n_total, max_exhaustive, hidden, work):  # type: ignore[no-untyped-def]
    """Overt and covert stability of the full state s for agents 0..n_agents−1."""
    for a in range(n_agents):  # the overt deviations first: they break most states, and cost little
        comply = flow_sum(A, a, s, n_total) / (1.0 - A.delta[a])
        if deviation(A, a, s, np.int64(0), n_total) > comply + TOL:
            return False
    for a in range(n_agents):
        comply = flow_sum(A, a, s, n_total) / (1.0 - A.delta[a])
        if final_best(A, a, s, n_total, max_exhaustive, hidden, work, comply + TOL) > comply + TOL:
            return False
    return True


@njit(cache=True, nogil=True)
def consistent(M, s):  # type: ignore[no-untyped-def]
    """Whether every move in effect in s has what it requires in effect."""
    for i in range(M.n_total):
        if (s >> i) & 1 and (M.requires[i] & ~s) != 0:
            return False
    return True


@njit(cache=True, nogil=True)
def valid_stages(M, f, z):  # type: ignore[no-untyped-def]
    """Every valid non-empty stage from the free-move state f, into ``z.out``; returns how many.

    A stage is one set of at most ``max_stage_moves`` moves per party among those not yet in
    effect, combined over the parties (an odometer, party 0's sets turning fastest), whose moves
    have what they require in effect by the end of the stage. ``z.picks[t, p]``: which of party
    p's sets stage t uses (0: the empty set). ``z`` comes from ``stage_space``.
    """
    return _stages(M, f, z, False)


@njit(cache=True, nogil=True)
def stages_into(M, f2, z):  # type: ignore[no-untyped-def]
    """Every valid non-empty stage S ⊆ f2 that leads to f2 (from f2 without S), as
    ``valid_stages`` writes them; the forward passes pull each state from its predecessors."""
    return _stages(M, f2, z, True)


@njit(cache=True, nogil=True)
def _stages(M, f, z, into):  # type: ignore[no-untyped-def]
    P = M.n_parties
    subsets = M.subsets
    offsets = M.offsets
    set_requires = M.set_requires
    initial = M.initial
    out = z.out
    combo = z.combo
    strides = M.strides
    picks = z.picks
    avail = z.avail
    avail_idx = z.avail_idx
    avail_start = z.avail_start
    odo = z.odo
    pos = 0
    for p in range(P):
        avail_start[p] = pos
        for k in range(offsets[p], offsets[p + 1]):
            if (subsets[k] & ~f) == 0 if into else (subsets[k] & f) == 0:
                avail[pos] = k
                avail_idx[pos] = k - offsets[p]
                pos += 1
    avail_start[P] = pos
    n = 0
    if P == 2:  # the same odometer, as two loops
        base = f | initial
        for i1 in range(avail_start[1], avail_start[2]):
            k1 = avail[i1]
            s1 = subsets[k1]
            r1 = set_requires[k1]
            q1 = avail_idx[i1]
            c1 = q1 * strides[1]
            for i0 in range(avail_start[0], avail_start[1]):
                k0 = avail[i0]
                stage = s1 | subsets[k0]
                if stage != 0 and ((r1 | set_requires[k0]) & ~(base | stage)) == 0:
                    out[n] = stage
                    combo[n] = avail_idx[i0] + c1
                    picks[n, 0] = avail_idx[i0]
                    picks[n, 1] = q1
                    n += 1
        return n
    for p in range(P):
        odo[p] = 0
    while True:
        stage = np.int64(0)
        need = np.int64(0)
        for p in range(P):
            k = avail[avail_start[p] + odo[p]]
            stage |= subsets[k]
            need |= set_requires[k]
        if stage != 0:
            # every move of the stage has what it requires in effect by its end
            ok = (need & ~(f | stage | initial)) == 0
            if ok:
                out[n] = stage
                c = 0
                for p in range(P):
                    picks[n, p] = avail_idx[avail_start[p] + odo[p]]
                    c += picks[n, p] * strides[p]
                combo[n] = c
                n += 1
        p = 0
        while p < P:
            odo[p] += 1
            if avail_start[p] + odo[p] < avail_start[p + 1]:
                break
            odo[p] = 0
            p += 1
        if p == P:
            return n


@njit(cache=True, nogil=True)
def stage_space(M):  # type: ignore[no-untyped-def]
    """Scratch for ``valid_stages``."""
    P = M.n_parties
    return Stages(
        np.empty(M.most_stages, dtype=np.int64),
        np.empty(M.most_stages, dtype=np.int64),
        np.empty((M.most_stages, P), dtype=np.int64),
        np.empty(M.offsets[P], dtype=np.int64),
        np.empty(M.offsets[P], dtype=np.int64),
        np.zeros(P + 1, dtype=np.int64),
        np.zeros(P, dtype=np.int64),
    )


@njit(cache=True, nogil=True)
def stage_cost(set_cost, unrec, offsets, picks, a, p):  # type: ignore[no-untyped-def]
    """o_a(S) of agent a (of party p) for the stage whose party q uses its set ``picks[q]``:
    the upfront costs of p's part of the stage, and a's unreciprocated cost if p alone moves in
    it (docs/model.md, "Flows and values"), as ``model.payoffs.one_time_cost`` computes them.
    Every stage payoff a(s, S) = u(f ∪ S) − o(S) of the kernels takes o from here, through
    the table of ``stage_costs``."""
    mine = picks[p]
    o = 0.0
    if mine > 0:
        o = set_cost[a, offsets[p] + mine]
        alone = True
        for q in range(picks.shape[0]):
            if q != p and picks[q] > 0:
                alone = False
                break
        if alone:
            o += unrec[a]
    return o


@njit(cache=True, nogil=True)
def set_costs(subsets, offsets, party, upfront, out):  # type: ignore[no-untyped-def]
    """out[a, k]: the upfront costs of the moves of set k, for each set of agent a's party
    (``Moves.offsets``), summed in index order, as model.payoffs.one_time_cost does."""
    for a in range(party.shape[0]):
        p = party[a]
        for k in range(offsets[p], offsets[p + 1]):
            total = 0.0
            rest = subsets[k]
            m = 0
            while rest:
                if rest & 1:
                    total += upfront[a, m]
                rest >>= 1
                m += 1
            out[a, k] = total


@njit(cache=True, nogil=True)
def stage_costs(M, party, set_cost, unrec):  # type: ignore[no-untyped-def]
    """[c, a]: ``stage_cost`` of every combination c of the parties' sets (``Moves.strides``)
    for every agent: looked up, not recomputed, at each of the passes' stages."""
    P = M.n_parties
    out = np.empty((M.most_stages, party.shape[0]))
    picks = np.zeros(P, dtype=np.int64)
    for c in range(M.most_stages):
        for p in range(P):
            picks[p] = (c // M.strides[p]) % (M.offsets[p + 1] - M.offsets[p])
        for a in range(party.shape[0]):
            out[c, a] = stage_cost(set_cost, unrec, M.offsets, picks, a, party[a])
    return out


@njit(cache=True, nogil=True)
def stage_payoffs(f, n, z, u, cost, out):  # type: ignore[no-untyped-def]
    """out[t, a] = a_a(s, S_t) = u_a(f ∪ S_t) − o_a(S_t) for the first n stages of ``z``: the
    flow of the new state less the one-time costs (``cost``: ``Agents.stage_cost``). ``u``:
    flows per state."""
    stages = z.out
    combo = z.combo
    for t in range(n):
        f2 = f | stages[t]
        c = combo[t]
        for a in range(out.shape[1]):
            out[t, a] = u[f2, a] - cost[c, a]


@njit(cache=True, nogil=True)
def into_edges(M, cap):  # type: ignore[no-untyped-def]
    """The stages between states where every move has what it requires (no stage reaches any
    other state): per state f2, the states f it is reached from and the stages' combinations,
    as ``stages_into`` enumerates them; empty arrays when there are more than ``cap``."""
    n_states = np.int64(1) << M.n_free
    if n_states > cap:  # a shape this large: its per-state index alone would pass the cap
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    z = stage_space(M)
    start = np.zeros(n_states + 1, dtype=np.int64)
    total = 0
    for f2 in range(n_states):
        start[f2] = total
        if not consistent(M, np.int64(f2) | M.initial):
            continue
        n = stages_into(M, np.int64(f2), z)
        for t in range(n):
            if consistent(M, (np.int64(f2) ^ z.out[t]) | M.initial):
                total += 1
        if total > cap:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    start[n_states] = total
    frm = np.empty(total, dtype=np.int32)
    combo = np.empty(total, dtype=np.int32)
    e = 0
    for f2 in range(n_states):
        if start[f2 + 1] == start[f2]:
            continue
        n = stages_into(M, np.int64(f2), z)
        for t in range(n):
            f = np.int64(f2) ^ z.out[t]
            if consistent(M, f | M.initial):
                frm[e] = f
                combo[e] = z.combo[t]
                e += 1
    return start, frm, combo


@njit(cache=True, nogil=True)
def flows(M, A, u):  # type: ignore[no-untyped-def]
    """u[f, a]: the flow of every state to every agent, summed in index order (flow_sum).

    Free moves come first in index order, so the sum over f's free moves is the sum over f
    without its highest move, plus that move's flow: the same additions in the same order,
    one per state; the initial moves (the highest indices) are added last."""
    flow = A.flow
    initial = M.initial
    n_total = M.n_total
    n_agents = u.shape[1]
    for a in range(n_agents):
        u[0, a] = 0.0
    top = 0
    for f in range(1, u.shape[0]):
        if f >> (top + 1):
            top += 1
        rest = f ^ (1 << top)
        for a in range(n_agents):
            u[f, a] = u[rest, a] + flow[top, a]
    for i in range(n_total):
        if (initial >> i) & 1:
            for f in range(u.shape[0]):
                for a in range(n_agents):
                    u[f, a] += flow[i, a]


@njit(cache=True, nogil=True)
def out_edges(M, total):  # type: ignore[no-untyped-def]
    """The ``total`` stages of ``into_edges`` by the state they lead from: per state where
    every move has what it requires, its valid stages in the order ``valid_stages`` writes
    them (every one leads to such a state), with their combinations."""
    n_states = np.int64(1) << M.n_free
    z = stage_space(M)
    start = np.zeros(n_states + 1, dtype=np.int64)
    stage = np.empty(total, dtype=np.int32)
    combo = np.empty(total, dtype=np.int32)
    e = 0
    for f in range(n_states):
        start[f] = e
        if not consistent(M, np.int64(f) | M.initial):
            continue
        n = valid_stages(M, np.int64(f), z)
        for t in range(n):
            stage[e] = z.out[t]
            combo[e] = z.combo[t]
            e += 1
    start[n_states] = e
    return start, stage, combo


@njit(cache=True, nogil=True)
def lexcmp(a, b):  # type: ignore[no-untyped-def]
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


@njit(cache=True, nogil=True)
def keycmp(sa, na, sb, nb, ent_stage, ent_next):  # type: ignore[no-untyped-def]
    """Compare two plans with the same number of stages by 'Which deal''s lexicographic key."""
    while True:
        if sa != sb:
            return lexcmp(sa, sb)
        if na == nb or na < 0 or nb < 0:
            return 0
        sa, na, sb, nb = ent_stage[na], ent_next[na], ent_stage[nb], ent_next[nb]


@njit(cache=True, nogil=True)
def dominates(c_val, c_j, c_stage, c_next, a, b, P, ent_stage, ent_next):  # type: ignore[no-untyped-def]
    """Whether candidate a makes candidate b redundant (Pareto over values and −stages, then
    the key). Candidates are rows of the ``c_*`` arrays (indices, not row views: a view costs
    two atomic reference counts)."""
    ja = c_j[a]
    jb = c_j[b]
    if ja > jb:
        return False
    strictly = ja < jb
    for p in range(P):
        va = c_val[a, p]
        vb = c_val[b, p]
        if va < vb - TOL:
            return False
        if va > vb + TOL:
            strictly = True
    if strictly:
        return True
    return keycmp(c_stage[a], c_next[a], c_stage[b], c_next[b], ent_stage, ent_next) <= 0


@njit(cache=True, nogil=True)
def offer_any(c, nk, P, c_val, c_j, c_stage, c_next, kept, ent_stage, ent_next):  # type: ignore[no-untyped-def]
    """Offer candidate c to the frontier ``kept``, for any number of values: O(frontier).

    Returns the new frontier size, or −1 if c is dominated (and so not kept).
    """
    for ki in range(nk):
        if dominates(c_val, c_j, c_stage, c_next, kept[ki], c, P, ent_stage, ent_next):
            return -1
    w = 0
    for ki in range(nk):
        k = kept[ki]
        if not dominates(c_val, c_j, c_stage, c_next, c, k, P, ent_stage, ent_next):
            kept[w] = k
            w += 1
    kept[w] = c
    return w + 1


@njit(cache=True, nogil=True)
def suffix_bounds(val, j, suf1, sufj, lo, n, max_stages):  # type: ignore[no-untyped-def]
    """Two parties: for entries lo..lo+n−1 of one state, the largest V_1 and the fewest stages
    from each entry to the state's last."""
    best1 = NEG_INF
    fewest = max_stages + 1
    for e in range(lo + n - 1, lo - 1, -1):
        if val[e, 1] > best1:
            best1 = val[e, 1]
        if j[e] < fewest:
            fewest = j[e]
        suf1[e] = best1
        sufj[e] = fewest


@njit(cache=True, nogil=True)
def scratch(M, n_values, ccap):  # type: ignore[no-untyped-def]
    """A thread's working space, for plans of ``n_values`` values (parties, or agents) and
    frontiers of up to ``ccap`` candidates kept at once."""
    rcap = M.most_stages
    hidden, work = work_space(M.n_total, M.max_exhaustive)
    most_sets = 0
    for p in range(M.n_parties):
        most_sets = max(most_sets, M.offsets[p + 1] - M.offsets[p])
    return Scratch(
        np.empty((ccap, n_values)),
        np.empty(ccap, dtype=np.int64),
        np.empty(ccap, dtype=np.int64),
        np.empty(ccap, dtype=np.int64),
        np.empty(ccap + 1, dtype=np.int64),
        np.empty(ccap + 1),
        np.empty((rcap, n_values)),
        np.empty((rcap, n_values)),
        np.empty(rcap, dtype=np.int64),
        np.empty(rcap, dtype=np.int64),
        np.empty(rcap, dtype=np.int64),
        np.empty(rcap, dtype=np.int64),
        np.empty(rcap),
        stage_space(M),
        np.empty((rcap, n_values)),
        np.empty((n_values, most_sets, 2)),
        np.empty(n_values),
        np.empty(M.max_stages + 2),
        hidden,
        work,
    )
