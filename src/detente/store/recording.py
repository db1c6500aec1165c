"""One run in the run store, from its start to its end: what the CLI's commands and the
server's jobs record alike (docs/howto/compare-runs.md).

A recording begins before the work, so that a store that cannot be written fails before
anything is computed; it ends with the result (stored with the tables its type has,
``tables_for``), or as failed or interrupted when the work raises.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel

from detente import __version__
from detente.store.db import RunStore


class Recording:
    """A run being recorded in the store at ``store``; with ``store`` None, nothing is
    recorded (every method does nothing and ``run_id`` stays empty).

    Used as a context manager, an exception leaving the block marks the run ``failed`` (or
    ``interrupted``, for a KeyboardInterrupt) with the exception's text.
    """

    def __init__(
        self,
        store: Path | None,
        kind: str,
        scenario_id: str,
        content_hash: str,
        text: bytes,
        parameters: Mapping[str, float] | None = None,
        overrides: Mapping[str, float] | None = None,
        seed: int | None = None,
        options: Mapping[str, object] | None = None,
    ) -> None:
        self.store = None if store is None else RunStore(store)
        self.run_id = ""
        self.status = ""  # once finished: complete, interrupted or failed
        self.started = time.perf_counter()
        if self.store is not None:
            self.run_id = self.store.begin(
                kind, scenario_id, content_hash, text.decode("utf-8", "replace"), dict(parameters or {}),
                dict(overrides or {}), seed, dict(options or {}), __version__,
            )

    @property
    def path(self) -> Path | None:
        return None if self.store is None else self.store.path

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is None or self.status:
            return
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        self.fail(str(exc) or status, status)

    def save(self, result: BaseModel, complete: bool = True) -> None:
        """The run's end with its result: ``complete``, or ``interrupted`` with what finished."""
        from detente.store.tables import tables_for  # the results' types: only once there is one

        self._finish("complete" if complete else "interrupted", result.model_dump(mode="json"), tables_for(result))

    def fail(self, error: str, status: str = "failed") -> None:
        """The run's end without a result: ``failed`` (or ``interrupted``), and why."""
        self._finish(status, {"error": error}, {})

    def _finish(self, status: str, result: Mapping[str, object], tables: Mapping[str, list[dict[str, object]]]) -> None:
        if self.store is not None:
            self.store.finish(self.run_id, status, time.perf_counter() - self.started, result, tables)
        self.status = status


__all__ = ["Recording"]
