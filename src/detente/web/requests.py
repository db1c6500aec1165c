"""The JSON bodies ``detente serve`` accepts (validated by pydantic; unknown keys refused).

A scenario is named by a library id or given as TOML text, never by a path: the server
reads no file a request names.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from detente import api
from detente.defaults import DEFAULT_TAU
from detente.errors import ScenarioError

LibraryId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$", description="A library scenario id.")]
Seed = Annotated[int, Field(ge=0, le=2**63 - 1)]


def _screened(value: object, where: str) -> None:
    """Refuse text a scenario's names could not hold: a lone surrogate (JSON's "\\ud800",
    which no UTF-8 can carry) anywhere, and lookalike characters outside a TOML text (which
    the scenario screen judges itself)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"{where}: a lone surrogate (U+{ord(value[exc.start]):04X}) at character {exc.start} is not Unicode text"
            ) from None
        if where != "toml":
            try:
                api.check_plain(where, value)
            except ScenarioError as exc:
                raise ValueError(str(exc)) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _screened(key, f"{where} key")
            _screened(item, f"{where}.{key}" if isinstance(key, str) and key.isascii() else where)
    elif isinstance(value, list):
        for item in value:
            _screened(item, where)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _plain_text(cls, data: object) -> object:
        if isinstance(data, dict):
            for key, value in data.items():
                _screened(value, str(key) if isinstance(key, str) and key.isascii() else "body")
        return data


class ScenarioRef(_Strict):
    """Exactly one of ``scenario`` (a library id) or ``toml`` (a scenario's text)."""

    scenario: LibraryId | None = None
    toml: str | None = Field(default=None, description="A scenario file's TOML text.")
    overrides: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")], float] = Field(
        default_factory=dict, max_length=64, description="Parameter values, as `--set NAME=VALUE`."
    )
    from_forecast: bool = Field(
        default=False,
        description="Take the parameters linked to a forecast (`forecast = {...}` in [parameters]) from the forecast, "
        "as `detente run --from-forecast`; `overrides` still win.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> ScenarioRef:
        if (self.scenario is None) == (self.toml is None):
            raise ValueError("give either 'scenario' (a library id) or 'toml' (a scenario's text)")
        return self


class AnalyseRequest(ScenarioRef):
    tau: float = Field(default=DEFAULT_TAU, ge=0.0, le=1.0, description="The robust deal's type threshold.")


class AuditRequest(ScenarioRef):
    proposal: str | None = Field(default=None, max_length=64)
    stages: str | None = Field(default=None, max_length=2000, description='e.g. "a1,b2;b1"')
    types: bool = False
    beliefs_at: Literal["prior", "posterior"] = "prior"


class SignalsRequest(ScenarioRef):
    tau: float = Field(default=DEFAULT_TAU, ge=0.0, le=1.0)
    beliefs_at: Literal["prior", "posterior"] = "prior"


class ForecastRequest(_Strict):
    """A forecast: a built-in forecast id, or a forecast TOML's text."""

    scenario: LibraryId | None = None
    toml: str | None = None
    max_turns: int = Field(default=100, ge=1)

    @model_validator(mode="after")
    def _one_source(self) -> ForecastRequest:
        if (self.scenario is None) == (self.toml is None):
            raise ValueError("give either 'scenario' (a built-in forecast id) or 'toml' (a forecast's text)")
        return self


class SimulateJob(ScenarioRef):
    kind: Literal["simulate"] = "simulate"
    samples: int = Field(default=200, ge=1)
    seed: Seed = 0
    strategies: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=lambda: ["summit-first", "working-1", "working-2", "working-3"], min_length=1, max_length=8
    )
    beliefs: Literal["prior", "posterior"] = "posterior"
    """The belief each history's true types are drawn from."""


class SensitivityJob(ScenarioRef):
    kind: Literal["sensitivity"] = "sensitivity"
    metrics: str = Field(default="deal-exists,nash-product", max_length=500)
    samples: int = Field(default=32, ge=1)
    method: Literal["sobol", "morris"] = "sobol"
    seed: Seed = 0
    histories: int = Field(default=20, ge=1)


JobRequest = Annotated[SimulateJob | SensitivityJob, Field(discriminator="kind")]
