"""Scenario files: format, expressions, loading and the built-in library (docs/model.md, "Scenario files").

The names below are imported when first used, so that the library's ids can be listed without
loading the parser and the model.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "load": "detente.scenario.loader",
    "load_bytes": "detente.scenario.loader",
    "parse_overrides": "detente.scenario.loader",
    "Move": "detente.scenario.model",
    "Party": "detente.scenario.model",
    "Proposal": "detente.scenario.model",
    "Scenario": "detente.scenario.model",
}

if TYPE_CHECKING:
    from detente.scenario.loader import load, load_bytes, parse_overrides
    from detente.scenario.model import Move, Party, Proposal, Scenario


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'detente.scenario' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


__all__ = ["Move", "Party", "Proposal", "Scenario", "load", "load_bytes", "parse_overrides"]
