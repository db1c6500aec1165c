"""The built-in scenario library: TOML files shipped as package data."""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

from detente.defaults import DEFAULT_SCENARIO as DEFAULT_SCENARIO


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


def _cases() -> Traversable:
    return resources.files("detente.scenario").joinpath("cases")


def case_ids() -> list[str]:
    """The case bank: historical cases with their record (``[[outcomes]]``), sorted by id."""
    folder = _cases()
    if not folder.is_dir():
        return []
    return sorted(entry.name.removesuffix(".toml") for entry in folder.iterdir() if entry.name.endswith(".toml"))


def has_case(case_id: str) -> bool:
    return case_id in case_ids()


def read_case(case_id: str) -> bytes:
    return _cases().joinpath(f"{case_id}.toml").read_bytes()
