"""A bilateral scenario's parameter taken from a multi-actor forecast: for example
hanoi-2019's ``leakage`` from where China and Russia end up on the enforcement of sanctions.

The mapping (docs/model.md, "The multi-actor forecast"): x is the capability-weighted mean of
the named actors' final positions on the dimension (0-100), and the parameter is
at_0 + (at_100 - at_0) * x / 100, a straight line between what the parameter would be if those
actors stood at 0 and at 100.
"""

from __future__ import annotations

import numpy as np

from detente.errors import ScenarioError
from detente.results import LinkedValue
from detente.scenario.schema import ForecastLink
from detente.smp import ForecastResult, run_smp
from detente.smp.library import library_text
from detente.smp.scenario import ForecastSpec, parse_forecast


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
        out.append(
            LinkedValue(
                parameter=name, value=value, written=written, scenario=link.scenario, dimension=dim_name,
                actors=list(names), start=start, final=final,
            )
        )
    return out


__all__ = ["LinkedValue", "linked_values"]
