"""The element-wise parts of a node of the offers game, compiled (docs/model.md, Offers).

A summit of a history solves a small offers game (two types, a few offers, a few meetings): its
nodes are a handful of numbers each, and numpy's per-call overhead was most of their time. These
kernels do what :func:`detente.model.offers._node` does with comparisons, selections and
maxima, which round nothing. P's values Σ_t π_t·… stay numpy matrix-vector products on arrays
laid out as ``_node`` lays them out: BLAS may fuse or reorder those sums, so they are computed by
the very same calls.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def responses(a_p, a_r, rows, afters, members, in_j, tol, per_p, per_r, fits):  # type: ignore[no-untyped-def]
    """For each refusal set J (k) and offer x: whether J is exactly the types of S that refuse x
    (``fits[k, x]``), and what P and each type get (``per_p``, ``per_r`` [k, x, t]): W(r + 1, J⁺)
    where type t refuses (W_t(r + 1, J⁺) > A_t(r, x) + tol), A(r, x) where it accepts.
    ``rows``: W_P and W_t of meeting r + 1, row S' holding W(r + 1, S'); ``afters[k]`` = J⁺."""
    n_sets, n_offers, n_types = per_p.shape
    w_p = rows[0]
    w_r = rows[1]
    for k in range(n_sets):
        after = afters[k]
        for x in range(n_offers):
            for t in range(n_types):
                if w_r[after, t] > a_r[x, t] + tol:
                    per_p[k, x, t] = w_p[after, t]
                    per_r[k, x, t] = w_r[after, t]
                else:
                    per_p[k, x, t] = a_p[x, t]
                    per_r[k, x, t] = a_r[x, t]
            ok = True
            for i in range(members.shape[0]):
                refuses = w_r[after, members[i]] > a_r[x, members[i]] + tol
                if refuses != in_j[k, i]:
                    ok = False
                    break
            fits[k, x] = ok


@njit(cache=True, nogil=True)
def choose(raw, fits, sets, s, wait, stages, rank, tol, pick, offer_values, offer_refusers):  # type: ignore[no-untyped-def]
    """P's offer at the node, or −1 for none, and how many offers no J fits. ``raw[k, x]``: P's value of x if J_k refuses it.
    Per offer: the first J within tol of its best consistent value (``pick``), that value
    (``offer_values``, NaN if no J fits) and J (``offer_refusers``, −1). Then the best offer
    or none (``wait``), ties within tol broken by (−|types accepting|, stages, rank, x), "no
    offer" ranking as (0, 0, −1, −1)."""
    n_sets, n_offers = raw.shape
    best = np.empty(n_offers)
    removed = 0
    for x in range(n_offers):
        b = -np.inf
        for k in range(n_sets):
            if fits[k, x] and raw[k, x] > b:
                b = raw[k, x]
        best[x] = b
        p = 0
        for k in range(n_sets):
            v = raw[k, x] if fits[k, x] else -np.inf
            if v >= b - tol:
                p = k
                break
        pick[x] = p
        if np.isfinite(b):
            offer_values[x] = b
            offer_refusers[x] = sets[p]
        else:
            offer_values[x] = np.nan
            offer_refusers[x] = -1
            removed += 1
    top = wait
    for x in range(n_offers):
        if np.isfinite(best[x]) and best[x] > top:
            top = best[x]
    choice = -2  # none yet
    key = np.zeros(4, dtype=np.int64)
    if wait >= top - tol:
        choice = -1
        key[0], key[1], key[2], key[3] = 0, 0, -1, -1
    for x in range(n_offers):
        if not (np.isfinite(best[x]) and best[x] >= top - tol):
            continue
        accepting = s & ~sets[pick[x]]
        count = 0
        while accepting:
            accepting &= accepting - 1
            count += 1
        cand = (-count, stages[x], rank[x], x)
        if choice == -2 or _less(cand, key):
            choice = x
            key[0], key[1], key[2], key[3] = cand
    return choice, removed


@njit(cache=True, nogil=True)
def _less(a, b):  # type: ignore[no-untyped-def]
    """Whether the key ``a`` sorts before ``b`` (lexicographically)."""
    for i in range(4):
        if a[i] != b[i]:
            return a[i] < b[i]
    return False
