"""The offers protocol: screening with take-it-or-leave-it offers (docs/model.md, Offers).

A proposer P makes offers at meetings r = 1..N, ℓ periods apart (T_r = (r − 1)ℓ), to a
responder whose type t ∈ T it does not know (belief π). With a(n) = (1 − δ^n)/(1 − δ),
accepting offer x at meeting r is worth A(r, x) = u·a(T_r) + δ^{T_r}·V(x) to each side and
the talks ending after meeting N is worth E = u·a(T_N) + δ^{T_N}·d = W(N + 1, ·).

Backward induction over (r, S), S ⊆ T the types not yet excluded (a bit mask over ``types``):
P offers x, a set J ⊆ S refuses and P then believes J⁺ = J (S if J = ∅). J is consistent iff
every t ∈ J strictly prefers refusing, W_t(r + 1, J⁺) > A_t(r, x) + 1e−9, and every other
t ∈ S accepts. P's value is Σ_{S∖J} π_t·A_P(r, x, t) + Σ_J π_t·W_P(r + 1, J⁺, t) over π(S)
(equal weights when π(S) = 0). Every type t, in S or not, is valued by its best response:
W_t(r, S) = max(A_t(r, x*), W_t(r + 1, J*⁺)), indifference accepting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from detente.model.bargaining import disagreement
from detente.model.game import TOLERANCE, FloatArray, Game, IntArray
from detente.model.payoffs import flow_utility

MAX_TYPES = 8  # the recursion visits 3^|T| (S, J) pairs a meeting


def _bits(mask: int) -> list[int]:
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


def _refusal_sets(s: int) -> list[int]:
    """Every J ⊆ S in selection order: smaller first, then lexicographically by type index."""
    subsets = [j for j in range(s + 1) if j & ~s == 0]
    return sorted(subsets, key=lambda j: (j.bit_count(), _bits(j)))


class _RefusalTable(NamedTuple):
    """S's refusal sets J in selection order (:func:`_refusal_sets`), read-only."""

    sets: IntArray
    afters: IntArray  # J⁺ per J
    members: IntArray  # S's types
    in_j: NDArray[np.bool_]  # [J, i]: whether type members[i] is in J


@lru_cache(maxsize=1 << MAX_TYPES)
def _refusal_table(s: int) -> _RefusalTable:
    """What the compiled nodes at S need of its refusal sets, computed once."""
    members, sets = _bits(s), _refusal_sets(s)
    table = _RefusalTable(
        np.array(sets, dtype=np.int64),
        np.array([j or s for j in sets], dtype=np.int64),
        np.array(members, dtype=np.int64),
        np.array([[j >> i & 1 for i in members] for j in sets], dtype=bool).reshape(len(sets), len(members)),
    )
    for a in table:
        a.setflags(write=False)
    return table


def annuity(delta: FloatArray, n: int) -> FloatArray:
    """a(n) = 1 + δ + … + δ^{n−1} = (1 − δ^n)/(1 − δ), and n when δ = 1."""
    one = delta == 1.0
    safe = np.where(one, 0.5, delta)
    return np.where(one, float(n), (1.0 - safe**n) / (1.0 - safe))


@dataclass(frozen=True, eq=False)
class OfferGame:
    """One proposer type against the responder's types; arrays are per world t (the world
    where the responder is type t) and per offer x: ``p_value[x, t]``, ``r_value[x, t]``."""

    types: tuple[str, ...]
    belief: FloatArray  # π over types, sums to 1
    rounds: int  # N meetings
    round_length: int  # ℓ periods between meetings
    stages: IntArray  # per offer (tie-break: fewer stages first)
    rank: IntArray  # per offer (tie-break: lower rank first)
    p_delta: FloatArray
    p_flow: FloatArray
    p_disagreement: FloatArray
    p_value: FloatArray
    r_delta: FloatArray
    r_flow: FloatArray
    r_disagreement: FloatArray
    r_value: FloatArray

    def __post_init__(self) -> None:
        for name in ("belief", "p_delta", "p_flow", "p_disagreement", "p_value", "r_delta", "r_flow", "r_disagreement", "r_value"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        for name in ("stages", "rank"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.int64))
        object.__setattr__(self, "types", tuple(self.types))

    @property
    def n_types(self) -> int:
        return len(self.types)

    @property
    def n_offers(self) -> int:
        return int(self.stages.shape[0])

    @property
    def all(self) -> int:
        return (1 << self.n_types) - 1

    def check(self) -> None:
        """Raise ``ValueError`` naming the first field that is malformed."""
        n, x = self.n_types, self.n_offers
        if not 1 <= n <= MAX_TYPES:
            raise ValueError(f"offers: between 1 and {MAX_TYPES} responder types, got {n}")
        if len(set(self.types)) != n:
            raise ValueError(f"offers: responder types must be distinct, got {list(self.types)}")
        if self.rounds < 1 or self.round_length < 1:
            raise ValueError(f"offers: rounds and round_length must be ≥ 1, got {self.rounds}, {self.round_length}")
        shapes = {"belief": (n,), "stages": (x,), "rank": (x,), "p_value": (x, n), "r_value": (x, n)}
        shapes |= {f"{s}_{f}": (n,) for s in "pr" for f in ("delta", "flow", "disagreement")}
        arrays = {name: getattr(self, name) for name in shapes}
        well_formed = all(arrays[name].shape == shape for name, shape in shapes.items()) and bool(
            np.isfinite(np.concatenate([a.ravel() for a in arrays.values()])).all()
        )  # one test when all is well (summits solve thousands of games); else the first fault
        for name, shape in () if well_formed else shapes.items():
            a = arrays[name]
            if a.shape != shape:
                raise ValueError(f"offers: {name} has shape {a.shape}, expected {shape}")
            if not np.all(np.isfinite(a)):
                raise ValueError(f"offers: {name} has a value that is not finite")
        if np.any(self.belief < 0) or abs(float(self.belief.sum()) - 1.0) > TOLERANCE:
            raise ValueError(f"offers: belief must be ≥ 0 and sum to 1, got {self.belief.tolist()}")
        if np.any(self.stages < 0):
            raise ValueError("offers: stages must be ≥ 0")
        for name in ("p_delta", "r_delta"):
            d = getattr(self, name)
            if np.any(d <= 0) or np.any(d > 1):
                raise ValueError(f"offers: {name} must lie in (0, 1], got {d.tolist()}")

    def mask(self, types: Iterable[str] | int) -> int:
        """The bit mask of a set of type names (a mask is returned as it is)."""
        if isinstance(types, int):
            m = types
        else:
            index = {t: i for i, t in enumerate(self.types)}
            unknown = [t for t in types if t not in index]
            if unknown:
                raise ValueError(f"offers: unknown responder types {unknown}")
            m = sum(1 << index[t] for t in set(types))
        if not 0 < m <= self.all:
            raise ValueError(f"offers: a belief set must be a non-empty set of types, got mask {m}")
        return m

    def names(self, mask: int) -> tuple[str, ...]:
        return tuple(self.types[i] for i in _bits(mask))

    def weights(self, mask: int) -> FloatArray:
        """π conditional on S (zero outside S); equal weights over S when π(S) = 0."""
        inside = np.array([mask >> i & 1 for i in range(self.n_types)], dtype=np.float64)
        w = self.belief * inside
        total = float(w.sum())
        return w / total if total > 0 else inside / inside.sum()

    def period(self, meeting: int) -> int:
        return (meeting - 1) * self.round_length

    def accept_values(self, meeting: int) -> tuple[FloatArray, FloatArray]:
        """A_P(r, x, t) and A_t(r, x), each ``[X, T]``."""
        n = self.period(meeting)
        out = []
        for delta, flow, value in ((self.p_delta, self.p_flow, self.p_value), (self.r_delta, self.r_flow, self.r_value)):
            out.append(flow * annuity(delta, n) + delta**n * value)
        return out[0], out[1]

    def end_values(self) -> tuple[FloatArray, FloatArray]:
        """E for P and for each type, ``[T]``: no deal after meeting N."""
        n = self.period(self.rounds)
        p = self.p_flow * annuity(self.p_delta, n) + self.p_delta**n * self.p_disagreement
        r = self.r_flow * annuity(self.r_delta, n) + self.r_delta**n * self.r_disagreement
        return p, r


def offer_game_over(
    worlds: Sequence[Game],
    candidates: Sequence[tuple[int, ...]],
    belief: FloatArray,
    rounds: int,
    round_length: int,
    p: int,
    r: int,
    values: Callable[[Game, tuple[int, ...]], FloatArray],
    names: tuple[str, ...] | None = None,
    survival: float = 1.0,
    from_no_deal: bool = False,
) -> OfferGame:
    """The game of P (party p) offering ``candidates`` to R (party r), world t being R of type t;
    ``values(g, stages)`` is W(1) of the play of a schedule in g. ``survival`` multiplies each δ
    (talks that survive a period); ``from_no_deal`` measures every value from the party's
    no-deal value d in its world (flow u − (1 − δ)d, deal V − d, no deal 0), the units in which
    a hazard that ends talks in no deal is exactly a discount (docs/model.md, "Summit versus
    working level")."""
    n_x, n_t = len(candidates), len(worlds)
    base = np.zeros((n_t, 2))  # d subtracted, per world, for P and R
    flows = np.empty((n_t, 2))
    dis = np.empty((n_t, 2))
    for i, g in enumerate(worlds):
        d = disagreement(g).values
        for k, q in enumerate((p, r)):
            flows[i, k] = flow_utility(g, g.initial, q)
            dis[i, k] = d[q]
            if from_no_deal:
                base[i, k] = float(d[q])
                flows[i, k] = flows[i, k] - (1.0 - float(g.delta[q])) * base[i, k]
                dis[i, k] = 0.0
    p_value = np.empty((n_x, n_t))
    r_value = np.empty((n_x, n_t))
    for i, g in enumerate(worlds):
        for x, stages in enumerate(candidates):
            v = values(g, stages)
            p_value[x, i], r_value[x, i] = v[p] - base[i, 0], v[r] - base[i, 1]
    return OfferGame(
        types=names if names is not None else tuple(str(i) for i in range(n_t)),
        belief=belief,
        rounds=rounds,
        round_length=round_length,
        stages=np.array([len(c) for c in candidates], dtype=np.int64),
        rank=np.arange(n_x, dtype=np.int64),
        p_delta=np.array([g.delta[p] * survival for g in worlds]),
        p_flow=flows[:, 0].copy(),
        p_disagreement=dis[:, 0].copy(),
        p_value=p_value,
        r_delta=np.array([g.delta[r] * survival for g in worlds]),
        r_flow=flows[:, 1].copy(),
        r_disagreement=dis[:, 1].copy(),
        r_value=r_value,
    )


@dataclass(frozen=True, eq=False)
class Node:
    """P's choice at (meeting, S) and everybody's value of the play from there."""

    meeting: int
    beliefs: int  # S, a mask over the types
    offer: int | None  # x*, None for "no offer"
    refusers: int  # J* (0 when no offer)
    after_refusal: int  # J*⁺: P's belief after a refusal (S when no offer)
    proposer_value: float  # W_P(r, S), the expectation conditional on S
    proposer_values: FloatArray  # [T] W_P(r, S, t): P's value if the responder is t
    responder_values: FloatArray  # [T] W_t(r, S), for every type, in S or not
    offer_values: FloatArray  # [X] P's value of each offer with its best consistent J (nan if removed)
    offer_refusers: IntArray  # [X] that J (−1 if removed)
    removed: tuple[int, ...]  # offers with no consistent J in pure strategies


@dataclass(frozen=True, eq=False)
class OffersSolution:
    game: OfferGame
    nodes: dict[tuple[int, int], Node]  # (meeting, S mask) → node, every non-empty S

    def node(self, meeting: int, beliefs: Iterable[str] | int) -> Node:
        return self.nodes[(meeting, self.game.mask(beliefs))]

    @property
    def removed(self) -> tuple[int, ...]:
        """Offers removed at some node for lack of a pure-strategy response."""
        return tuple(sorted({x for n in self.nodes.values() for x in n.removed}))

    @property
    def label(self) -> str:
        if not self.removed:
            return "pure-strategy equilibrium"
        return "pure-strategy equilibrium, offers {" + ", ".join(map(str, self.removed)) + "} removed"


def solve_offers(game: OfferGame) -> OffersSolution:
    """Backward induction over every (r, S), r = N..1, with the selection rules of
    docs/model.md, Offers: the best consistent J for P (ties: smaller J, then
    lexicographically first), then the best offer (ties: more types accepting, fewer stages,
    lower rank; "no offer" counts as 0 types, 0 stages, rank −1), all ties within 1e−9.
    Each node is :func:`_node`'s, computed by :func:`_fast_node` (the same numbers)."""
    return _solve(game)


def _solve(game: OfferGame, reference: bool = False) -> OffersSolution:
    """:func:`solve_offers`, each node chosen by :func:`_fast_node` (or by :func:`_node`, its
    reference: the same numbers)."""
    game.check()
    end_p, end_r = game.end_values()
    w_p = {s: end_p for s in range(1, game.all + 1)}  # W_P(r + 1, S, t), per world t
    w_r = {s: end_r for s in range(1, game.all + 1)}  # W_t(r + 1, S)
    nodes: dict[tuple[int, int], Node] = {}
    weights = {s: game.weights(s) for s in range(1, game.all + 1)}
    rows = np.zeros((2, game.all + 1, game.n_types))  # w_p and w_r by row S, for the kernels
    for r in range(game.rounds, 0, -1):
        a_p, a_r = game.accept_values(r)
        for s in range(1, game.all + 1):
            rows[0, s], rows[1, s] = w_p[s], w_r[s]
        for s in range(1, game.all + 1):
            if reference:
                nodes[(r, s)] = _node(game, r, s, a_p, a_r, w_p, w_r, weights[s])
            else:
                nodes[(r, s)] = _fast_node(game, r, s, a_p, a_r, w_p, w_r, weights[s], rows)
        w_p = {s: nodes[(r, s)].proposer_values for s in w_p}
        w_r = {s: nodes[(r, s)].responder_values for s in w_r}
    return OffersSolution(game=game, nodes=nodes)


def _fast_node(
    game: OfferGame, r: int, s: int, a_p: FloatArray, a_r: FloatArray, w_p: dict[int, FloatArray], w_r: dict[int, FloatArray],
    weights: FloatArray, rows: FloatArray,
) -> Node:
    """:func:`_node`, its comparisons and selections compiled (``solvers._offers_kernel``);
    P's values are the same numpy products of arrays laid out the same way. ``rows``: w_p
    and w_r, row S' holding W(r + 1, S')."""
    from detente.solvers import _offers_kernel as kernel  # numba only when used

    table = _refusal_table(s)
    n_sets, n_offers, n_types = len(table.sets), game.n_offers, game.n_types
    per_p = np.empty((n_sets, n_offers, n_types))
    per_r = np.empty_like(per_p)
    fits = np.empty((n_sets, n_offers), dtype=np.bool_)
    kernel.responses(a_p, a_r, rows, table.afters, table.members, table.in_j, TOLERANCE, per_p, per_r, fits)
    raw = np.empty((n_sets, n_offers))
    for k in range(n_sets):
        raw[k] = per_p[k] @ weights
    wait = float(w_p[s] @ weights)
    pick = np.empty(n_offers, dtype=np.int64)
    offer_values = np.empty(n_offers)
    offer_refusers = np.empty(n_offers, dtype=np.int64)
    choice, n_removed = kernel.choose(raw, fits, table.sets, s, wait, game.stages, game.rank, TOLERANCE,
                                      pick, offer_values, offer_refusers)
    if choice < 0:
        j_star, pv, rv = 0, w_p[s], w_r[s]
    else:
        j_star = int(offer_refusers[choice])
        pv, rv = per_p[pick[choice], choice], per_r[pick[choice], choice]
    return Node(
        meeting=r, beliefs=s, offer=None if choice < 0 else int(choice), refusers=j_star, after_refusal=j_star or s,
        proposer_value=float(pv @ weights), proposer_values=pv.copy(), responder_values=rv.copy(),
        offer_values=offer_values, offer_refusers=offer_refusers,
        removed=tuple(np.flatnonzero(offer_refusers < 0).tolist()) if n_removed else (),
    )


def _node(
    game: OfferGame, r: int, s: int, a_p: FloatArray, a_r: FloatArray, w_p: dict[int, FloatArray], w_r: dict[int, FloatArray],
    weights: FloatArray,
) -> Node:
    """P's choice at (r, S), every offer at once: for each J ⊆ S in selection order, which
    offers J fits and what each side gets in every world (a type refuses iff W_t(r + 1, J⁺)
    > A_t(r, x) + 1e−9, whether in S or not). ``weights``: π conditional on S. The reference
    of :func:`_fast_node` (a test compares the two)."""
    tol, members, sets = TOLERANCE, _bits(s), _refusal_sets(s)
    vals = np.full((len(sets), game.n_offers), -np.inf)
    per_p = np.empty((len(sets), game.n_offers, game.n_types))
    per_r = np.empty_like(per_p)
    for k, j in enumerate(sets):
        after = j or s
        refuse = w_r[after][None, :] > a_r + tol
        in_j = np.array([j >> i & 1 for i in members], dtype=bool)
        fits = np.all(refuse[:, members] == in_j[None, :], axis=1)
        per_p[k] = np.where(refuse, w_p[after][None, :], a_p)
        per_r[k] = np.where(refuse, w_r[after][None, :], a_r)
        vals[k] = np.where(fits, per_p[k] @ weights, -np.inf)
    best = vals.max(axis=0)
    kept = np.isfinite(best)
    pick = np.argmax(vals >= best[None, :] - tol, axis=0)  # the first J within 1e−9 of the best
    offer_j = np.array([sets[k] for k in pick], dtype=np.int64).reshape(game.n_offers)
    wait = float(w_p[s] @ weights)
    top = max([wait, *best[kept].tolist()])
    candidates: list[tuple[tuple[int, int, int, int], int | None]] = [
        ((-(s & ~int(offer_j[x])).bit_count(), int(game.stages[x]), int(game.rank[x]), x), x)
        for x in np.flatnonzero(kept & (best >= top - tol)).tolist()
    ]
    if wait >= top - tol:
        candidates.append(((0, 0, -1, -1), None))
    choice = min(candidates, key=lambda c: c[0])[1]
    if choice is None:
        j_star, pv, rv = 0, w_p[s], w_r[s]
    else:
        j_star = int(offer_j[choice])
        pv, rv = per_p[pick[choice], choice], per_r[pick[choice], choice]
    return Node(
        meeting=r, beliefs=s, offer=choice, refusers=j_star, after_refusal=j_star or s,
        proposer_value=float(pv @ weights), proposer_values=pv.copy(), responder_values=rv.copy(),
        offer_values=np.where(kept, best, np.nan), offer_refusers=np.where(kept, offer_j, -1),
        removed=tuple(np.flatnonzero(~kept).tolist()),
    )


@dataclass(frozen=True)
class Meeting:
    """One meeting on the equilibrium path, as P sees it before the response."""

    meeting: int
    period: int  # T_r = (r − 1)ℓ
    belief: dict[str, float]  # P's conditional probabilities over S
    offer: int | None  # None: the meeting passes
    accepted: bool
    belief_after: tuple[str, ...] | None  # P's belief set after a refusal (or no offer); None if accepted


@dataclass(frozen=True)
class Path:
    true_type: str
    meetings: tuple[Meeting, ...]
    deal: int | None  # the accepted offer; None if the talks end with no deal
    delay: int | None  # periods until acceptance; None without a deal
    proposer_value: float  # P's value in the true type's world
    responder_value: float  # the true type's value


def responds(solution: OffersSolution, meeting: int, beliefs: Iterable[str] | int, offer: int) -> dict[str, bool]:
    """Whether each type, in S or not, accepts ``offer`` at (meeting, S): A_t(r, x) ≥
    W_t(r + 1, J_x⁺) − 1e−9, J_x the refusal set P expects for x (None if x was removed)."""
    g = solution.game
    s = g.mask(beliefs)
    j = int(solution.nodes[(meeting, s)].offer_refusers[offer])
    if j < 0:
        raise ValueError(f"offers: offer {offer} was removed at meeting {meeting}, {g.names(s)}")
    refusal = solution.nodes[(meeting + 1, j or s)].responder_values if meeting < g.rounds else g.end_values()[1]
    accept = g.accept_values(meeting)[1][offer]
    return {t: bool(accept[i] >= refusal[i] - TOLERANCE) for i, t in enumerate(g.types)}


def equilibrium_path(solution: OffersSolution, true_type: str, beliefs: Iterable[str] | int | None = None) -> Path:
    """The play when the responder is ``true_type`` and P starts believing ``beliefs``
    (default all types): the type best-responds at each meeting (indifference accepts),
    whether or not P thinks it possible; P's belief after a refusal is J*⁺."""
    g = solution.game
    t = g.types.index(true_type)
    s = g.all if beliefs is None else g.mask(beliefs)
    meetings = []
    for r in range(1, g.rounds + 1):
        node = solution.nodes[(r, s)]
        weights = g.weights(s)
        belief = {g.types[i]: float(weights[i]) for i in _bits(s)}
        if node.offer is not None and responds(solution, r, s, node.offer)[true_type]:
            meetings.append(Meeting(r, g.period(r), belief, node.offer, True, None))
            a_p, a_r = g.accept_values(r)
            value_p, value_r = float(a_p[node.offer, t]), float(a_r[node.offer, t])
            return Path(true_type, tuple(meetings), node.offer, g.period(r), value_p, value_r)
        meetings.append(Meeting(r, g.period(r), belief, node.offer, False, g.names(node.after_refusal)))
        s = node.after_refusal
    end_p, end_r = g.end_values()
    return Path(true_type, tuple(meetings), None, None, float(end_p[t]), float(end_r[t]))


@dataclass(frozen=True)
class RootValues:
    """Values at meeting 1 when P starts believing S (π restricted to S)."""

    beliefs: tuple[str, ...]
    proposer: float  # W_P(1, S), the expectation conditional on S
    proposer_by_type: dict[str, float]  # W_P(1, S, t) for every t
    responder: dict[str, float]  # W_t(1, S) for every t, in S or not


def root_values(solution: OffersSolution, beliefs: Iterable[str] | int) -> RootValues:
    """W_t(1, S) for every type and W_P(1, S): B_θ = W_θ(1, {good}) − W_θ(1, T ∖ {good})
    is the benefit of being believed good (docs/model.md, Offers)."""
    g = solution.game
    node = solution.nodes[(1, g.mask(beliefs))]
    return RootValues(
        beliefs=g.names(node.beliefs),
        proposer=node.proposer_value,
        proposer_by_type=dict(zip(g.types, node.proposer_values.tolist(), strict=True)),
        responder=dict(zip(g.types, node.responder_values.tolist(), strict=True)),
    )


def values_by_beliefs(solution: OffersSolution) -> dict[frozenset[str], dict[str, float]]:
    """W_θ(1, S') for every non-empty S' ⊆ T: the input of ``intuitive_criterion``."""
    g = solution.game
    return {frozenset(g.names(s)): root_values(solution, s).responder for s in range(1, g.all + 1)}


@dataclass(frozen=True)
class CriterionVerdict:
    """The Intuitive Criterion (Cho and Kreps 1987) applied to a pooling outcome."""

    gains: dict[str, float]  # max_{S'} W_θ(1, S') − c_θ − U*_θ: ≤ 1e−9 means θ is dominated
    dominated: tuple[str, ...]
    undominated: tuple[str, ...]  # D
    margins: dict[str, float]  # θ ∈ D: W_θ(1, D) − c_θ − U*_θ
    breaker: str | None  # the θ ∈ D with the largest margin > 1e−9; None if the pooling survives
    survives: bool


def intuitive_criterion(
    types: Sequence[str],
    values: Mapping[frozenset[str], Mapping[str, float]] | Callable[[frozenset[str]], Mapping[str, float]],
    cost: Mapping[str, float],
    pooled: Mapping[str, float] | None = None,
) -> CriterionVerdict:
    """Whether a pooling outcome (no type signals, beliefs stay π) survives the Intuitive
    Criterion, for any protocol: ``values(S')[θ]`` is θ's value when the receiver believes
    π restricted to S' (every non-empty S' ⊆ T), ``pooled[θ]`` = U*_θ (default ``values(T)``).
    θ is equilibrium-dominated iff max_{S'} values(S')[θ] − c_θ ≤ U*_θ (within 1e−9); with D
    the others, the outcome fails iff D ≠ ∅ and some θ ∈ D has values(D)[θ] − c_θ > U*_θ + 1e−9
    (docs/model.md, Offers)."""
    get = values.__getitem__ if isinstance(values, Mapping) else values
    order = tuple(types)
    subsets = [frozenset(t for i, t in enumerate(order) if m >> i & 1) for m in range(1, 1 << len(order))]
    table = {s: get(s) for s in subsets}
    star = table[frozenset(order)] if pooled is None else pooled
    gains = {t: max(float(table[s][t]) for s in subsets) - float(cost[t]) - float(star[t]) for t in order}
    dominated = tuple(t for t in order if gains[t] <= TOLERANCE)
    d = tuple(t for t in order if t not in dominated)
    margins = {t: float(table[frozenset(d)][t]) - float(cost[t]) - float(star[t]) for t in d} if d else {}
    breaking = [t for t in d if margins[t] > TOLERANCE]
    breaker = max(breaking, key=lambda t: (margins[t], -order.index(t))) if breaking else None
    return CriterionVerdict(gains, dominated, d, margins, breaker, breaker is None)
