"""The store's plain data: a run's record, the store's error, and the difference of two runs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from detente.errors import DetenteError, one_line

KINDS = ("simulate", "sensitivity", "solve")
FINAL_STATUSES = ("complete", "interrupted", "failed")
# "running" and "incomplete" are never written by finish: a row stays "running" until its
# finish commits, and reads show it "incomplete" once its process is gone
STATUSES = ("running", "incomplete", *FINAL_STATUSES)


class StoreError(DetenteError):
    """The run store cannot do what was asked; one line naming the file, the run and the reason."""

    def __init__(self, path: Path | str, reason: str, run: str | None = None) -> None:
        self.path = str(path)
        self.run = run
        self.reason = reason
        where = f"{path}: run {run}" if run else str(path)
        super().__init__(one_line(f"{where}: {reason}"))


class RunRecord(BaseModel):
    """One recorded run: its settings and, once finished, its result.

    ``status`` is decided when the record is read: a row whose finish never committed is
    ``running`` while its process lives on this host, else ``incomplete``.
    """

    id: str
    kind: str
    status: str
    scenario_id: str
    content_hash: str
    started_at: datetime
    finished_at: datetime | None
    seconds: float | None
    seed: int | None
    parameters: dict[str, float]
    overrides: dict[str, float]
    options: dict[str, Any]
    version: str
    pid: int
    hostname: str
    result: dict[str, Any] | None


class Difference(BaseModel):
    """One key whose value differs between run A and run B.

    ``only`` says which side has the key when the other lacks it; ``delta`` is B - A for numbers.
    """

    key: str
    a: Any = None
    b: Any = None
    delta: float | None = None
    only: Literal["a", "b"] | None = None


class RunDiff(BaseModel):
    """What differs between two runs: their settings, then their results (dotted key paths)."""

    a: str
    b: str
    settings: list[Difference]
    results: list[Difference]

    @property
    def identical(self) -> bool:
        return not self.settings and not self.results
