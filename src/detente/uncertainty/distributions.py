"""Drawing the uncertain parameters of docs/model.md, "Summit versus working level" (numpy's Generator, no state of its own)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import special

from detente.scenario.model import Distribution


def draw(d: Distribution, rng: np.random.Generator, size: int | None = None) -> float | NDArray[np.float64]:
    p = d.params
    if d.kind == "triangular":
        return rng.triangular(p["low"], p["mode"], p["high"], size)
    if d.kind == "uniform":
        return rng.uniform(p["low"], p["high"], size)
    if d.kind == "beta":
        return p["low"] + (p["high"] - p["low"]) * rng.beta(p["alpha"], p["beta"], size)
    if d.kind == "lognormal":
        return rng.lognormal(math.log(p["median"]), p["sigma"], size)
    raise ValueError(f"unknown distribution {d.kind!r}")


def mean(d: Distribution) -> float:
    """The distribution's mean, in closed form (for tests and reports)."""
    p = d.params
    if d.kind == "triangular":
        return (p["low"] + p["mode"] + p["high"]) / 3.0
    if d.kind == "uniform":
        return (p["low"] + p["high"]) / 2.0
    if d.kind == "beta":
        return p["low"] + (p["high"] - p["low"]) * p["alpha"] / (p["alpha"] + p["beta"])
    if d.kind == "lognormal":
        return p["median"] * math.exp(p["sigma"] ** 2 / 2.0)
    raise ValueError(f"unknown distribution {d.kind!r}")


def support(d: Distribution) -> tuple[float, float]:
    """Where the distribution's values lie: a party's reading of the parameter is kept there."""
    if d.kind == "lognormal":
        return 0.0, math.inf
    return d.params["low"], d.params["high"]


def bounds(d: Distribution) -> tuple[float, float]:
    """The support (for SALib's problem definition); lognormal: its 0.1% and 99.9% quantiles."""
    p = d.params
    if d.kind == "lognormal":
        z = 3.090232306167813  # Φ⁻¹(0.999)
        return p["median"] * math.exp(-z * p["sigma"]), p["median"] * math.exp(z * p["sigma"])
    return p["low"], p["high"]


LOGNORMAL_TAIL = 0.001  # a lognormal's quantiles are taken within [0.1%, 99.9%] (see bounds)


def quantile(d: Distribution, u: NDArray[np.float64]) -> NDArray[np.float64]:
    """The inverse CDF: maps a sensitivity design on the unit cube to the parameter's own
    distribution. Sobol indices are the same for X = F⁻¹(U) as for U, so the design can be
    built on [0, 1]^d whatever the distributions are (SALib has no beta, for one)."""
    p = d.params
    u = np.asarray(u, dtype=np.float64)
    if d.kind == "uniform":
        return p["low"] + u * (p["high"] - p["low"])
    if d.kind == "triangular":
        lo, mode, hi = p["low"], p["mode"], p["high"]
        c = (mode - lo) / (hi - lo) if hi > lo else 0.5
        left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
        right = hi - np.sqrt((1.0 - u) * (hi - lo) * (hi - mode))
        return np.where(u < c, left, right)
    if d.kind == "beta":
        # scipy's betaincinv returns nan for 0 < u < ~1e-100: such u are moved to 1e-15
        # (the quantile stays monotone; the design never comes that close to 0 or 1)
        tiny = 1e-15
        u = np.where((u > 0.0) & (u < tiny), tiny, np.where((u < 1.0) & (u > 1.0 - tiny), 1.0 - tiny, u))
        x: NDArray[np.float64] = special.betaincinv(p["alpha"], p["beta"], u)
        return p["low"] + (p["high"] - p["low"]) * x
    if d.kind == "lognormal":
        z = special.ndtri(np.clip(u, LOGNORMAL_TAIL, 1.0 - LOGNORMAL_TAIL))
        z = np.asarray(z, dtype=np.float64)
        return p["median"] * np.exp(p["sigma"] * z)
    raise ValueError(f"unknown distribution {d.kind!r}")
