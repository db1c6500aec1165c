"""What the server's worker processes compute: each function takes a request and the limits
and returns plain JSON (dicts), so that a killed worker loses nothing but its own request.

These are the CLI's analyses (``detente.api``) with the server's bounds checked first; the
figures are the report's (``detente.report.figures``), so the page and the report agree.
"""

from __future__ import annotations

import functools
import json
import math
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go

from detente import api
from detente.report.figures import analysis_figures
from detente.report.forecast_figures import forecast_positions
from detente.report.html import analysis_report, forecast_report
from detente.results import Analysis, BeliefsResult, SignalsResult
from detente.web.limits import LimitError, Limits, check_count, check_scenario
from detente.web.requests import (
    AnalyseRequest,
    AuditRequest,
    ForecastRequest,
    ScenarioRef,
    SignalsRequest,
)

if TYPE_CHECKING:
    from detente import Scenario
    from detente.api import ForecastSource, SmpInput

POSTED = "posted TOML"

JSON = dict[str, Any]


class NotFound(LimitError):
    def __init__(self, message: str) -> None:
        super().__init__(message, status=404)


@functools.cache
def library_ids(kind: str) -> tuple[str, ...]:
    """The built-in scenarios of a kind ("bilateral" or "forecast"): the only names the server reads."""
    return tuple(e.id for e in api.scenario_library() if e.kind == kind)


def scenario_bytes(ref: ScenarioRef | ForecastRequest, limits: Limits) -> tuple[str, bytes]:
    """(origin, TOML bytes) of a library id or posted text; never a path."""
    if ref.scenario is not None:
        known = library_ids("bilateral")
        if ref.scenario not in known:
            raise NotFound(f"no library scenario {ref.scenario!r} (library: {', '.join(known)})")
        return api.scenario_text(ref.scenario)
    data = (ref.toml or "").encode("utf-8")
    if len(data) > limits.max_body_bytes:
        raise LimitError(f"{POSTED}: {len(data):,} bytes exceed this server's limit of {limits.max_body_bytes:,}", 413)
    return POSTED, data


def load_checked(ref: ScenarioRef, limits: Limits) -> Scenario:
    """The scenario a request names, within the server's bounds (checked before its types are built)."""
    origin, data = scenario_bytes(ref, limits)
    return api.load(
        data=data, origin=origin, overrides=ref.overrides, from_forecast=ref.from_forecast,
        check=lambda sc: check_scenario(sc, limits),
    )


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
        "linked": [lv.model_dump(mode="json") for lv in sc.linked],
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
        if req.scenario not in library_ids("forecast"):
            raise NotFound(f"no built-in forecast {req.scenario!r}")
        origin, data = api.scenario_text(req.scenario)
    else:
        origin, data = scenario_bytes(req, limits)
    check_count("max_turns", req.max_turns, limits.max_turns)
    return _forecast_source(data, origin, limits).input


def _forecast_source(data: bytes, origin: str, limits: Limits) -> ForecastSource:
    src = api.read_forecast(data=data, origin=origin)
    check_count(f"{origin}: actors", len(src.input.actor_names), limits.max_actors)
    return src


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
    spread = api.uncertainty_range(sc, name)
    if spread is not None:
        low, high = spread
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
    if ref.toml is not None and api.is_forecast(data=data, origin=origin):  # a multi-actor forecast
        src = _forecast_source(data, origin, limits)
        return {"id": src.id, "kind": "forecast", "title": src.input.name, "toml": ref.toml}
    sc = load_checked(ref, limits)
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
