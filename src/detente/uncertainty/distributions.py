"""Drawing the uncertain parameters of MODEL.md section 11 (numpy's Generator, no state of its own)."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

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
