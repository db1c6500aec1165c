"""What the server's worker processes compute: each function takes a request and the limits
and returns plain JSON (dicts), so that a killed worker loses nothing but its own request.

These are the CLI's analyses (``detente.api``) with the server's bounds checked first; the
figures are the report's (``detente.report.figures``), so the page and the report agree.
"""

from __future__ import annotations

import json
import math
from typing import Any

import plotly.graph_objects as go

from detente import api
from detente.analysis.types import check_types
from detente.report.figures import analysis_figures
from detente.report.forecast_figures import forecast_positions
from detente.report.html import analysis_report, forecast_report
from detente.results import Analysis, BeliefsResult, SignalsResult
from detente.scenario import library
from detente.scenario.loader import load_bytes, parse_toml
from detente.scenario.model import Scenario
from detente.smp import SmpInput
from detente.smp.library import library_text
from detente.smp.scenario import ForecastSpec, parse_forecast
from detente.uncertainty.distributions import bounds
from detente.web.limits import LimitError, Limits, check_count, check_scenario
from detente.web.requests import (
    AnalyseRequest,
    AuditRequest,
    ForecastRequest,
    ScenarioRef,
    SignalsRequest,
)

POSTED = "posted TOML"

JSON = dict[str, Any]


class NotFound(LimitError):
    def __init__(self, message: str) -> None:
        super().__init__(message, status=404)


def scenario_bytes(ref: ScenarioRef | ForecastRequest, limits: Limits) -> tuple[str, bytes]:
    """(origin, TOML bytes) of a library id or posted text; never a path."""
    if ref.scenario is not None:
        if not library.has(ref.scenario):
            raise NotFound(f"no library scenario {ref.scenario!r} (library: {', '.join(library.ids())})")
        return ref.scenario, library.read_bytes(ref.scenario)
    data = (ref.toml or "").encode("utf-8")
    if len(data) > limits.max_body_bytes:
        raise LimitError(f"{POSTED}: {len(data):,} bytes exceed this server's limit of {limits.max_body_bytes:,}", 413)
    return POSTED, data


def load_checked(ref: ScenarioRef, limits: Limits) -> Scenario:
    origin, data = scenario_bytes(ref, limits)
    sc = load_bytes(data, origin, ref.overrides)
    check_scenario(sc, limits)
    check_types(sc)
    return sc


def plain(fig: go.Figure) -> JSON:
    """A figure as plain JSON (numpy arrays become lists) for the page's Plotly.react."""
    out: JSON = json.loads(fig.to_json())
    return out


def _analysed(req: AnalyseRequest, limits: Limits) -> tuple[Scenario, Analysis, BeliefsResult | None, SignalsResult | None]:
    sc = load_checked(req, limits)
    return (sc, *api.overview(sc, req.tau))


def analyse(req: AnalyseRequest, limits: Limits) -> JSON:
    """What the page shows: ``detente run``'s analysis, beliefs, signals and their figures."""
    sc, analysis, beliefs, signals = _analysed(req, limits)
    figs = analysis_figures(analysis, sc, beliefs, signals)
    return {
        "analysis": analysis.model_dump(mode="json"),
        "beliefs": beliefs.model_dump(mode="json") if beliefs else None,
        "signals": signals.model_dump(mode="json") if signals else None,
        "figures": {name: plain(f) for name, f in figs.items()},
    }


def solve(req: ScenarioRef, limits: Limits) -> JSON:
    return api.solve(load_checked(req, limits)).model_dump(mode="json")


def audit(req: AuditRequest, limits: Limits) -> JSON:
    sc = load_checked(req, limits)
    return api.audit(sc, req.proposal, req.stages, req.types, req.beliefs_at).model_dump(mode="json")


def beliefs(req: ScenarioRef, limits: Limits) -> JSON:
    return api.beliefs(load_checked(req, limits)).model_dump(mode="json")


def signals(req: SignalsRequest, limits: Limits) -> JSON:
    return api.signals(load_checked(req, limits), req.tau, req.beliefs_at).model_dump(mode="json")


def forecast_input(req: ForecastRequest, limits: Limits) -> SmpInput:
    if req.scenario is not None:
        text = library_text(req.scenario)
        if text is None:
            raise NotFound(f"no built-in forecast {req.scenario!r}")
        origin, data = req.scenario, text
    else:
        origin, data = scenario_bytes(req, limits)
    check_count("max_turns", req.max_turns, limits.max_turns)
    return _parsed_forecast(data, origin, limits)[1]


def _parsed_forecast(data: bytes, origin: str, limits: Limits) -> tuple[ForecastSpec, SmpInput]:
    spec, inp = parse_forecast(data, origin)
    check_count(f"{origin}: actors", len(inp.actor_names), limits.max_actors)
    return spec, inp


def forecast(req: ForecastRequest, limits: Limits) -> JSON:
    result = api.forecast(forecast_input(req, limits), req.max_turns)
    return {
        "forecast": result.model_dump(mode="json"),
        "figures": {f"forecast:{i}": plain(f) for i, f in enumerate(forecast_positions(result))},
    }


def forecast_html(req: ForecastRequest, limits: Limits) -> str:
    """The forecast's offline HTML report (``detente report korea-six-party-2019``)."""
    return forecast_report(api.forecast(forecast_input(req, limits), req.max_turns))


def report(req: AnalyseRequest, limits: Limits) -> str:
    """The offline HTML report of ``detente report`` for the page's download button."""
    return analysis_report(*_analysed(req, limits))


def slider(name: str, value: float, sc: Scenario) -> JSON:
    """A parameter's slider: the range of its [uncertainty] distribution (a lognormal's
    0.1%–99.9% quantiles) if it has one, else 0 to twice its value; always holding the value,
    and within the parameter's domain."""
    dist = next((d for d in sc.uncertainty.distributions if d.parameter == name), None) if sc.uncertainty else None
    if dist is not None:
        low, high = bounds(dist)
    elif value == 0:
        low, high = 0.0, 1.0
    else:
        low, high = sorted((0.0, 2.0 * value))
    low, high = min(low, value), max(high, value)
    domain = sc.domains.get(name)
    if domain is not None:  # never offer a value the parameter cannot take
        low, high = max(low, domain[0]), min(high, domain[1])
    step = 10 ** math.floor(math.log10((high - low) / 100)) if high > low else 0.01
    note = sc.spec.parameters[name].note if sc.spec and name in sc.spec.parameters else ""
    return {"name": name, "value": value, "low": low, "high": high, "step": step, "note": note}


def describe(ref: ScenarioRef, limits: Limits) -> JSON:
    """A scenario's title, text and sliders: what the page needs before any analysis."""
    origin, data = scenario_bytes(ref, limits)
    if ref.toml is not None and "forecast" in parse_toml(data, origin):  # a multi-actor forecast
        spec = _parsed_forecast(data, origin, limits)[0]
        return {"id": spec.forecast.id, "kind": "forecast", "title": spec.forecast.title, "toml": ref.toml}
    sc = load_bytes(data, origin, ref.overrides)
    check_scenario(sc, limits)
    return {
        "id": sc.id,
        "title": sc.title,
        "period": sc.period,
        "toml": data.decode("utf-8"),
        "parameters": [slider(n, v, sc) for n, v in sc.parameters.items()],
        "proposals": [{"id": p.id, "label": p.label} for p in sc.proposals],
        "has_uncertainty": sc.uncertainty is not None,
    }


def tipping(req: ScenarioRef, limits: Limits) -> JSON:
    """`detente run`'s tipping points for the page: every verdict decided by one solve or an
    audit (the offers verdicts are `detente tipping`'s), in this worker process alone."""
    return api.tipping(load_checked(req, limits), offers=False, workers=1).model_dump(mode="json")
