"""How much work one request to ``detente serve`` may ask for.

Every bound is checked *before* the work starts and refused with a 4xx and a sentence
naming the bound, so no request can tie up a worker for long: the body's size, the
scenario's size (moves, stages, the DP's transition bound), Monte Carlo samples, and a
wall-clock budget per request, after which the worker process running it is killed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from detente import api

if TYPE_CHECKING:
    from detente import Scenario


class LimitError(Exception):
    """A request asks for more than the server allows: answered with ``status``."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Limits:
    """The server's bounds (``detente serve`` options change the main ones)."""

    max_body_bytes: int = 256_000  # a request's body; hanoi-2019's TOML is about 60 kB
    max_moves: int = 16
    max_stages: int = 12
    max_transitions: int = 2_000_000  # the DP's (state, stage) bound: well under a second
    max_samples: int = 2_000  # Monte Carlo histories per simulation job
    max_sensitivity_samples: int = 256  # SALib base samples per sensitivity job
    max_histories: int = 50  # simulated histories per sensitivity point
    max_actors: int = 200  # a forecast's actors
    max_turns: int = 200  # a forecast's turns
    seconds: float = 20.0  # wall clock of one analysis request
    job_seconds: float = 600.0  # wall clock of one background job
    max_pending: int = 16  # analysis requests running or waiting; more get 429
    max_jobs: int = 4  # background jobs queued or running; more get 429
    workers: int = 2  # processes running analysis requests
    worker_memory: str | None = None  # each worker's memory limit ("4G"; "0": none; None: the default)


def check_scenario(sc: Scenario, limits: Limits) -> None:
    """Refuse a scenario larger than the server's bounds, before any solve."""
    size = api.scenario_size(sc)
    if size.moves > limits.max_moves:
        raise LimitError(f"{sc.origin}: moves: {size.moves} moves exceed this server's limit of {limits.max_moves}")
    if size.max_stages > limits.max_stages:
        raise LimitError(f"{sc.origin}: solver.max_stages: {size.max_stages} exceeds this server's limit of {limits.max_stages}")
    if size.longest_proposal > limits.max_stages:
        raise LimitError(
            f"{sc.origin}: proposals: a proposal of {size.longest_proposal} stages exceeds this server's limit of {limits.max_stages}"
        )
    if size.transitions > limits.max_transitions:
        raise LimitError(
            f"{sc.origin}: the solver's search has up to {size.transitions:,} (state, stage) transitions, "
            f"over this server's limit of {limits.max_transitions:,}; lower solver.max_stage_moves or drop moves"
        )


def check_count(what: str, value: int, most: int, least: int = 1) -> None:
    if not least <= value <= most:
        raise LimitError(f"{what}: {value} is outside this server's range {least}..{most}")
