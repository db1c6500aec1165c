"""Default settings shared by the API, the CLI and the analyses that use them.

They live apart from the analyses so that the CLI and ``detente.api`` can name them in
signatures without importing numba, scipy or pandas at start-up.
"""

from __future__ import annotations

DEFAULT_SCENARIO = "hanoi-2019"  # the library scenario commands read when given none
DEFAULT_TAU = 0.25  # `detente run`: safe against every type at least this likely
DEFAULT_STRATEGIES = ("summit-first", "working-1", "working-2", "working-3")
TIPPING_STEPS = 20  # grid steps from the current value outward, each way
TIPPING_PRECISION = 1e-3  # bisection stops at this share of the parameter's range
FORECAST_WITHIN = 10.0  # X of "ends within X of its start" (0-100 scale, Euclidean)
