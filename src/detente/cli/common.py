"""What the commands share: common options, the run store's recording, output helpers."""

from __future__ import annotations

import json
import re
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel
from rich.console import Console

from detente import __version__
from detente.errors import ScenarioError

if TYPE_CHECKING:
    from detente.scenario.model import Scenario


class MethodChoice(StrEnum):
    sobol = "sobol"
    morris = "morris"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--workers", help="Worker processes (default: every core); with --dask local, its workers."),
]
DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="local|tcp://HOST:PORT",
        help="Run on Dask: a LocalCluster, or a running scheduler (see docs/howto/run-on-a-cluster.md).",
    ),
]
StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="The run store to record in (default: $DETENTE_STORE, else the user data directory)."),
]
NoStoreOpt = Annotated[bool, typer.Option("--no-store", help="Do not record this run.")]


class _Recording:
    """A run in the store: begun before the work (so a store that cannot be written fails
    before anything is computed), finished with its result, or as failed or interrupted."""

    def __init__(
        self,
        store: Path | None,
        no_store: bool,
        kind: str,
        scenario_id: str,
        content_hash: str,
        text: bytes,
        parameters: dict[str, float],
        overrides: dict[str, float],
        seed: int | None,
        options: dict[str, object],
    ) -> None:
        from detente.store import RunStore, default_store_path

        self.store = None if no_store else RunStore(store or default_store_path())
        self.run_id = ""
        self.started = time.perf_counter()
        if self.store is not None:
            self.run_id = self.store.begin(
                kind, scenario_id, content_hash, text.decode("utf-8", "replace"), parameters,
                overrides, seed, options, __version__,
            )

    @classmethod
    def of(
        cls,
        store: Path | None,
        no_store: bool,
        kind: str,
        source: str,
        sc: Scenario,
        overrides: dict[str, float],
        seed: int | None,
        options: dict[str, object],
    ) -> _Recording:
        """A bilateral scenario's run (its source is read again only when it is recorded)."""
        from detente.scenario.loader import read_source

        data = b"" if no_store else read_source(source)[1]
        return cls(store, no_store, kind, sc.id, sc.content_hash, data, dict(sc.parameters), overrides, seed, options)

    def __enter__(self) -> _Recording:
        from detente.cli import interrupt

        self._marked = interrupt.recording(self)
        self._marked.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        self._marked.__exit__(None, None, None)
        if self.store is None or exc is None:
            return
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        self.store.finish(self.run_id, status, time.perf_counter() - self.started, {"error": str(exc) or status}, {})

    def interrupted(self, reason: str) -> str | None:
        """Mark the run interrupted (a signal ends the process before ``__exit__`` runs)."""
        if self.store is None:
            return None
        self.store.finish(self.run_id, "interrupted", time.perf_counter() - self.started, {"error": reason}, {})
        return self.run_id

    def save(self, result: BaseModel, tables: dict[str, list[dict[str, object]]], complete: bool = True) -> None:
        from detente.cli import interrupt

        if self.store is None:
            return
        self.store.finish(
            self.run_id,
            "complete" if complete else "interrupted",
            time.perf_counter() - self.started,
            result.model_dump(mode="json"),
            tables,
        )
        if not complete and interrupt.received():
            interrupt.kept(self.run_id)  # the interrupt's one line names it
            return
        sys.stderr.write(f"recorded as run {self.run_id} in {self.store.path}\n")


def _check_execution(origin: str, workers: int | None, dask: str | None) -> None:
    if workers is not None and workers < 1:
        raise ScenarioError(origin, "--workers", f"must be at least 1, got {workers}")
    if dask is not None and dask != "local" and not re.match(r"^(tcp|tls|inproc|ucx)://\S+$", dask):
        raise ScenarioError(origin, "--dask", f"expected 'local' or a scheduler address such as tcp://HOST:8786, got {dask!r}")


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False, emoji=False)


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
