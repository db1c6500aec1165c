"""The JSON the server answers with, beyond the CLI's own result objects (for /docs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from detente.results import Analysis, BeliefsResult, ForecastResult, LinkedValue, SignalsResult

Figure = dict[str, Any]  # a Plotly figure's JSON: {"data": [...], "layout": {...}}


class ProblemItem(BaseModel):
    """One thing wrong with a scenario: the file (or library id, or ``posted TOML``), the key
    path in it (or the parameter) and the reason."""

    file: str
    key: str
    reason: str


class Problem(BaseModel):
    """Every refusal: one sentence naming what was wrong (the key, the bound) and why. An
    invalid scenario also lists every problem found in it (``errors``): ``detail`` is the
    first, with how many more there are."""

    detail: str
    errors: list[ProblemItem] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "A Host header that names another server"},
    404: {"model": Problem, "description": "No such scenario, job or run"},
    408: {"model": Problem, "description": "The request body did not arrive in time"},
    409: {"model": Problem, "description": "The run store cannot be read"},
    413: {"model": Problem, "description": "The request body exceeds the server's limit"},
    422: {"model": Problem, "description": "Invalid input, or more work than the server allows"},
    429: {"model": Problem, "description": "Too many requests or jobs at once"},
}


class ScenarioSummary(BaseModel):
    id: str
    kind: Literal["bilateral", "forecast"]
    title: str


class Slider(BaseModel):
    """A parameter the page offers as a slider, with the range it spans."""

    name: str
    value: float
    low: float
    high: float
    step: float
    note: str = ""


class ProposalSummary(BaseModel):
    id: str
    label: str


class ScenarioInfo(BaseModel):
    id: str
    kind: Literal["bilateral", "forecast"] = "bilateral"
    title: str
    period: str = ""
    toml: str
    parameters: list[Slider] = Field(default_factory=list)
    proposals: list[ProposalSummary] = Field(default_factory=list)
    has_uncertainty: bool = False


class AnalyseResponse(BaseModel):
    linked: list[LinkedValue] = Field(default_factory=list, description="Parameters taken from forecasts (`from_forecast`)")
    analysis: Analysis
    beliefs: BeliefsResult | None
    signals: SignalsResult | None
    figures: dict[str, Figure]


class ForecastResponse(BaseModel):
    forecast: ForecastResult
    figures: dict[str, Figure]


class JobView(BaseModel):
    """A background job: its progress, and its result (SimulationResult or SensitivityResult)."""

    id: str
    kind: Literal["simulate", "sensitivity"]
    status: Literal["queued", "running", "complete", "stopped", "failed"]
    done: int
    total: int
    seconds: float
    reason: str | None
    error: str | None
    run_id: str | None
    result: dict[str, Any] | None
    figure: Figure | None = None
