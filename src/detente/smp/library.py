"""The built-in forecast scenarios: their ids and texts, read without the forecast model."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable


def _library() -> Traversable:
    return resources.files("detente.smp").joinpath("library")


def ids() -> list[str]:
    """The built-in forecast scenarios."""
    return sorted(p.name.removesuffix(".toml") for p in _library().iterdir() if p.name.endswith(".toml"))


def library_text(scenario_id: str) -> bytes | None:
    f = _library() / f"{scenario_id}.toml"
    return f.read_bytes() if f.is_file() else None
