"""A bilateral scenario's parameter taken from a multi-actor forecast: for example
hanoi-2019's ``leakage`` from where China and Russia end up on the enforcement of sanctions.

The mapping (docs/model.md, "The multi-actor forecast"): x is the capability-weighted mean of
the named actors' final positions on the dimension (0-100), and the parameter is
at_0 + (at_100 - at_0) * x / 100, a straight line between what the parameter would be if those
actors stood at 0 and at 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.errors import ScenarioError
from detente.scenario.schema import ForecastLink
from detente.smp import ForecastResult, run_smp
from detente.smp.library import library_text
from detente.smp.scenario import ForecastSpec, parse_forecast


@dataclass(frozen=True)
class LinkedValue:
    parameter: str
    value: float  # from the forecast
    written: float  # the scenario's own value
    scenario: str
    dimension: str  # its name
    actors: tuple[str, ...]
    start: float  # the actors' weighted position at the forecast's start (0-100)
    final: float  # and at its end

    def sentence(self) -> str:
        who = " and ".join(self.actors)
        return (
            f"{self.parameter} = {self.value:.3g} from forecast {self.scenario}: on "
            f"{self.dimension}, {who} move from {self.start:.1f} to {self.final:.1f} (0-100, "
            f"capability-weighted), which maps to {self.value:.3g} (the scenario's own value: "
            f"{self.written:.3g})."
        )


def linked_values(origin: str, parameters: dict[str, tuple[float, ForecastLink]]) -> list[LinkedValue]:
    """Run each linked forecast once and map its final positions to the parameters."""
    out = []
    runs: dict[str, tuple[ForecastSpec, ForecastResult]] = {}
    for name, (written, link) in parameters.items():
        key = f"parameters.{name}.forecast"
        text = library_text(link.scenario)
        if text is None:
            raise ScenarioError(origin, f"{key}.scenario", f"no built-in forecast scenario {link.scenario!r}")
        if link.scenario not in runs:
            spec, inp = parse_forecast(text, link.scenario)
            runs[link.scenario] = (spec, run_smp(inp))
        spec, result = runs[link.scenario]
        dims = [d.id for d in spec.dimensions]
        if link.dimension not in dims:
            raise ScenarioError(origin, f"{key}.dimension", f"{link.scenario} has no dimension {link.dimension!r} (dimensions: {', '.join(dims)})")
        actor_ids = [a.id for a in spec.actors]
        for a in link.actors:
            if a not in actor_ids:
                raise ScenarioError(origin, f"{key}.actors", f"{link.scenario} has no actor {a!r} (actors: {', '.join(actor_ids)})")
        k = dims.index(link.dimension)
        idx = [actor_ids.index(a) for a in link.actors]
        cap = np.array([spec.actors[i].capability for i in idx])
        positions = result.positions
        start = float(np.dot(cap, [positions[0][i][k] for i in idx]) / cap.sum()) * 100
        final = float(np.dot(cap, [positions[-1][i][k] for i in idx]) / cap.sum()) * 100
        value = link.at_0 + (link.at_100 - link.at_0) * final / 100
        names = tuple(spec.actors[i].name for i in idx)
        dim_name = spec.dimensions[k].name
        out.append(LinkedValue(name, value, written, link.scenario, dim_name, names, start, final))
    return out


__all__ = ["LinkedValue", "linked_values"]
