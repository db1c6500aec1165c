"""Streamed aggregation of simulated histories: counts and sums, merged chunk by chunk.

Memory does not grow with the number of histories: a chunk of histories becomes one
:class:`Tally` per strategy, and tallies add up. Confidence intervals are 95%: Wilson's for
proportions, the normal approximation for means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from detente.uncertainty.history import NO_DEAL_REASONS, Outcome

Z95 = 1.959963984540054


@dataclass
class Tally:
    n_parties: int
    histories: int = 0
    signed: int = 0
    holds: int = 0
    summits: int = 0
    periods: float = 0.0  # Σ periods to signature over signed histories
    periods_sq: float = 0.0
    values: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    values_sq: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    defections: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    no_deal: dict[str, int] = field(default_factory=dict)  # histories without a deal, by reason
    working_refused: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    summit_refused: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    working_held: int = 0
    type_names: tuple[tuple[str, ...], ...] = ()  # by party, its type ids (to name the profiles)
    by_types: dict[str, list[int]] = field(default_factory=dict)  # "us=firm dprk=keeper" -> [histories, signed, holds]
    learnt: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    learnt_sq: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    learnt_n: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    proposer: int | None = None  # under protocol "offers", the proposing party
    by_proposer: dict[str, list[int]] = field(default_factory=dict)  # its true type -> [histories, signed]

    def __post_init__(self) -> None:
        if len(self.values) == 0:
            self.values = np.zeros(self.n_parties)
            self.values_sq = np.zeros(self.n_parties)
            self.defections = np.zeros(self.n_parties, dtype=np.int64)
            self.working_refused = np.zeros(self.n_parties, dtype=np.int64)
            self.summit_refused = np.zeros(self.n_parties, dtype=np.int64)
            self.learnt = np.zeros(self.n_parties)
            self.learnt_sq = np.zeros(self.n_parties)
            self.learnt_n = np.zeros(self.n_parties, dtype=np.int64)
        if not self.no_deal:
            self.no_deal = dict.fromkeys(NO_DEAL_REASONS, 0)

    def add(self, o: Outcome) -> None:
        self.histories += 1
        self.summits += o.summits
        self.values += o.values
        self.values_sq += o.values**2
        self.working_held += o.working_held
        if o.working_refused:
            self.working_refused += np.asarray(o.working_refused, dtype=np.int64)
        if o.summit_refused:
            self.summit_refused += np.asarray(o.summit_refused, dtype=np.int64)
        if o.no_deal is not None:
            self.no_deal[o.no_deal] += 1
        if o.types:
            key = " ".join(self.type_names[q][t] for q, t in enumerate(o.types) if t >= 0)
            row = self.by_types.setdefault(key, [0, 0, 0])
            row[0] += 1
            row[1] += int(o.signed_at is not None)
            row[2] += int(o.signed_at is not None and o.holds)
            if self.proposer is not None and o.types[self.proposer] >= 0:
                mine = self.by_proposer.setdefault(self.type_names[self.proposer][o.types[self.proposer]], [0, 0])
                mine[0] += 1
                mine[1] += int(o.signed_at is not None)
        for p, x in enumerate(o.learnt):
            if not math.isnan(x):
                self.learnt[p] += x
                self.learnt_sq[p] += x * x
                self.learnt_n[p] += 1
        if o.signed_at is not None:
            self.signed += 1
            self.periods += o.signed_at
            self.periods_sq += o.signed_at**2
            if o.holds:
                self.holds += 1
            elif o.defector is not None:
                self.defections[o.defector] += 1

    def merge(self, other: Tally) -> None:
        self.histories += other.histories
        self.signed += other.signed
        self.holds += other.holds
        self.summits += other.summits
        self.periods += other.periods
        self.periods_sq += other.periods_sq
        self.values += other.values
        self.values_sq += other.values_sq
        self.defections += other.defections
        self.working_held += other.working_held
        self.working_refused += other.working_refused
        self.summit_refused += other.summit_refused
        for k, v in other.no_deal.items():
            self.no_deal[k] = self.no_deal.get(k, 0) + v
        for k, row in other.by_types.items():
            mine = self.by_types.setdefault(k, [0, 0, 0])
            for j, x in enumerate(row):
                mine[j] += x
        for k, row in other.by_proposer.items():
            mine = self.by_proposer.setdefault(k, [0, 0])
            for j, x in enumerate(row):
                mine[j] += x
        self.learnt += other.learnt
        self.learnt_sq += other.learnt_sq
        self.learnt_n += other.learnt_n


def wilson(successes: int, n: int) -> tuple[float, float, float]:
    """Estimate and Wilson 95% interval of a proportion (nan when n = 0)."""
    if n == 0:
        return math.nan, math.nan, math.nan
    p = successes / n
    z2 = Z95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def mean_ci(total: float, total_sq: float, n: int) -> tuple[float, float, float]:
    """Mean and normal-approximation 95% interval from a sum and a sum of squares."""
    if n == 0:
        return math.nan, math.nan, math.nan
    m = total / n
    if n == 1:
        return m, math.nan, math.nan
    var = max(0.0, (total_sq - n * m * m) / (n - 1))
    half = Z95 * math.sqrt(var / n)
    return m, m - half, m + half
