"""Scenario files: format, expressions, loading and the built-in library (docs/model.md, "Scenario files")."""

from detente.scenario.loader import load, load_bytes, parse_overrides
from detente.scenario.model import Move, Party, Proposal, Scenario

__all__ = ["Move", "Party", "Proposal", "Scenario", "load", "load_bytes", "parse_overrides"]
