"""The built-in scenario library: TOML files shipped as package data."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

DEFAULT_SCENARIO = "hanoi-2019"


def _folder() -> Traversable:
    return resources.files("detente.scenario").joinpath("library")


def ids() -> list[str]:
    """Every built-in scenario id, sorted."""
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in _folder().iterdir()
        if entry.name.endswith(".toml")
    )


def has(scenario_id: str) -> bool:
    return scenario_id in ids()


def read_bytes(scenario_id: str) -> bytes:
    return _folder().joinpath(f"{scenario_id}.toml").read_bytes()
