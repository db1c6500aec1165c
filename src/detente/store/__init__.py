"""The run store: every simulate, sensitivity and solve run, recorded in one DuckDB file.

See docs/howto/compare-runs.md.
"""

from detente.store.db import RunStore, default_store_path
from detente.store.diff import flatten
from detente.store.model import Difference, RunDiff, RunRecord, StoreError
from detente.store.recording import Recording

__all__ = [
    "Difference",
    "Recording",
    "RunDiff",
    "RunRecord",
    "RunStore",
    "StoreError",
    "default_store_path",
    "flatten",
]
