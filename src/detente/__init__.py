"""detente: which concessions, in what order, make a deal that enforces itself.

The public API; see docs/reference/api.md. Names are imported when first used, so that
``import detente`` (and the CLI's start-up) does not pay for numba, scipy and pandas until an
analysis needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The subpackage ``detente.beliefs`` is imported before the function of the same name, which
# must win: importing a submodule binds it on its parent package, and the API imports
# ``detente.beliefs.bayes`` only on first call. ``_numba_cache`` picks the kernels' cache
# before numba is ever imported (a read-only install must run). The API itself is light.
import detente.beliefs  # noqa: F401
from detente import _numba_cache  # noqa: F401
from detente.api import (
    analyse,
    audit,
    beliefs,
    compare,
    forecast,
    forecast_backtest,
    forecast_monte_carlo,
    forecast_sensitivity,
    linked_values,
    load,
    offers,
    scenario_size,
    sensitivity,
    signals,
    simulate,
    solve,
    solve_robust,
    sweep,
    sweep_result,
    tipping,
)
from detente.errors import DetenteError, ScenarioError, ScheduleError, SolverLimitError

_WHERE = {
    "Analysis": "detente.results",
    "AuditResult": "detente.results",
    "BeliefsResult": "detente.results",
    "CompareResult": "detente.results",
    "OffersResult": "detente.results",
    "RobustSolveResult": "detente.results",
    "ScreeningResult": "detente.results",
    "SensitivityResult": "detente.results",
    "SignalsResult": "detente.results",
    "SimulationResult": "detente.results",
    "SolveResult": "detente.results",
    "SweepResult": "detente.results",
    "TippingResult": "detente.results",
    "Move": "detente.scenario.model",
    "Party": "detente.scenario.model",
    "Proposal": "detente.scenario.model",
    "Scenario": "detente.scenario.model",
    "ForecastBacktestResult": "detente.results",
    "ForecastMonteCarloResult": "detente.results",
    "ForecastResult": "detente.results",
    "ForecastSensitivityResult": "detente.results",
    "LinkedValue": "detente.results",
    "ScenarioSize": "detente.results",
}

if TYPE_CHECKING:
    from detente.results import (
        Analysis,
        AuditResult,
        BeliefsResult,
        CompareResult,
        ForecastBacktestResult,
        ForecastMonteCarloResult,
        ForecastResult,
        ForecastSensitivityResult,
        LinkedValue,
        OffersResult,
        RobustSolveResult,
        ScenarioSize,
        ScreeningResult,
        SensitivityResult,
        SignalsResult,
        SimulationResult,
        SolveResult,
        SweepResult,
        TippingResult,
    )
    from detente.scenario.model import (
        Move,
        Party,
        Proposal,
        Scenario,
    )


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'detente' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "AuditResult",
    "BeliefsResult",
    "OffersResult",
    "RobustSolveResult",
    "ScreeningResult",
    "SensitivityResult",
    "SimulationResult",
    "SignalsResult",
    "DetenteError",
    "ForecastBacktestResult",
    "ForecastMonteCarloResult",
    "ForecastResult",
    "ForecastSensitivityResult",
    "LinkedValue",
    "ScenarioSize",
    "Move",
    "Party",
    "Proposal",
    "Scenario",
    "ScenarioError",
    "ScheduleError",
    "SolveResult",
    "SolverLimitError",
    "__version__",
    "analyse",
    "audit",
    "beliefs",
    "forecast",
    "forecast_backtest",
    "forecast_monte_carlo",
    "forecast_sensitivity",
    "linked_values",
    "load",
    "offers",
    "scenario_size",
    "sensitivity",
    "signals",
    "simulate",
    "solve",
    "solve_robust",
    # tipping points, sweeps and comparisons
    "CompareResult",
    "SweepResult",
    "TippingResult",
    "compare",
    "sweep",
    "sweep_result",
    "tipping",
]
