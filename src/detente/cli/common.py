"""What the commands share: common options, the run store's recording, output helpers."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import BaseModel
from rich.console import Console

from detente import api

if TYPE_CHECKING:
    from detente import Scenario


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
    """A run in the store (``detente.store.Recording``), begun before the work, marked
    interrupted if a signal ends the process, and named on stderr once recorded."""

    def __init__(
        self,
        store: Path | None,
        no_store: bool,
        kind: str,
        scenario_id: str,
        content_hash: str,
        text: bytes,
        parameters: Mapping[str, float],
        overrides: Mapping[str, float],
        seed: int | None,
        options: dict[str, object],
    ) -> None:
        from detente.store import Recording, default_store_path

        path = None if no_store else (store or default_store_path())
        self.run = Recording(path, kind, scenario_id, content_hash, text, parameters, overrides, seed, options)

    @classmethod
    def of(
        cls,
        store: Path | None,
        no_store: bool,
        kind: str,
        source: str,
        sc: Scenario,
        overrides: Mapping[str, float],
        seed: int | None,
        options: dict[str, object],
    ) -> _Recording:
        """A bilateral scenario's run (its source is read again only when it is recorded)."""
        data = b"" if no_store else api.scenario_text(source)[1]
        return cls(store, no_store, kind, sc.id, sc.content_hash, data, sc.parameters, overrides, seed, options)

    def __enter__(self) -> _Recording:
        from detente.cli import interrupt

        self._marked = interrupt.recording(self)
        self._marked.__enter__()
        self.run.__enter__()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        self._marked.__exit__(None, None, None)
        self.run.__exit__(kind, exc, tb)

    def interrupted(self, reason: str) -> str | None:
        """Mark the run interrupted (a signal ends the process before ``__exit__`` runs)."""
        if self.run.store is None:
            return None
        self.run.fail(reason, "interrupted")
        return self.run.run_id

    def save(self, result: BaseModel, complete: bool = True) -> None:
        from detente.cli import interrupt

        if self.run.store is None:
            return
        self.run.save(result, complete)
        if not complete and interrupt.received():
            interrupt.kept(self.run.run_id)  # the interrupt's one line names it
            return
        sys.stderr.write(f"recorded as run {self.run.run_id} in {self.run.path}\n")


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False, emoji=False)


def _print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
