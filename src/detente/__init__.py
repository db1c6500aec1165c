"""detente: which concessions, in what order, make a deal that enforces itself.

The public API; see docs/reference/api.md.
"""

# first: it picks the kernels' cache before numba is imported (a read-only install must run)
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
    load,
    offers,
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
from detente.results import (
    Analysis,
    AuditResult,
    BeliefsResult,
    CompareResult,
    OffersResult,
    RobustSolveResult,
    ScreeningResult,
    SensitivityResult,
    SignalsResult,
    SimulationResult,
    SolveResult,
    SweepResult,
    TippingResult,
)
from detente.scenario.model import Move, Party, Proposal, Scenario
from detente.smp.results import ForecastBacktestResult

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
    "load",
    "offers",
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
