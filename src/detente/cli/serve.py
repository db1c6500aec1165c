"""``detente serve``: the web page and JSON API on this machine (127.0.0.1 unless told)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from detente.errors import ScenarioError

LOOPBACK = ("127.0.0.1", "::1", "localhost")


def serve(
    host: Annotated[str, typer.Option(help="The address to listen on; anything but loopback exposes the server.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Processes running analyses (also a simulation job's processes).")] = 2,
    seconds: Annotated[float, typer.Option(help="Wall-clock budget of one analysis request, in seconds.")] = 20.0,
    max_samples: Annotated[int, typer.Option(help="The most histories a simulation job may ask for.")] = 2000,
    max_moves: Annotated[int, typer.Option(help="The most moves a posted scenario may have.")] = 16,
    store: Annotated[Path | None, typer.Option(help="The run store jobs are recorded in (default: $DETENTE_STORE or the user data directory).")] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Record nothing; /api/runs answers 404.")] = False,
    worker_memory: Annotated[
        str | None,
        typer.Option(help="Each worker process's memory limit, e.g. 4G or 1500M; 0: none (default: $DETENTE_WORKER_MEMORY, else half the machine's memory shared among the workers, at least 2 GiB each)."),
    ] = None,
    allow_host: Annotated[
        list[str] | None,
        typer.Option("--allow-host", help="Another name the server may be reached by (repeatable); loopback names and --host are always allowed."),
    ] = None,
) -> None:
    """Serve the web page (pick a scenario, move sliders, run simulations) and the JSON API
    (OpenAPI docs at /docs). Every request is bounded in size, work and time."""
    import uvicorn

    from detente.store import default_store_path
    from detente.web.app import create_app
    from detente.web.guard import allowed_hosts, server_config
    from detente.web.limits import Limits
    from detente.workers import MemorySettingError, memory_limit

    for name, value, least in (("--port", port, 1), ("--workers", workers, 1), ("--max-samples", max_samples, 1), ("--max-moves", max_moves, 1)):
        if value < least or (name == "--port" and value > 65535):
            raise ScenarioError("serve", name, f"{value} is out of range")
    if not seconds > 0:
        raise ScenarioError("serve", "--seconds", f"must be positive, got {seconds}")
    if host not in LOOPBACK:
        sys.stderr.write(f"warning: listening on {host}: anyone who can reach this address can use the server\n")
    try:
        memory_limit(workers, worker_memory)
    except MemorySettingError as exc:
        raise ScenarioError("serve", "--worker-memory" if worker_memory is not None else "DETENTE_WORKER_MEMORY", str(exc)) from None
    for name in allow_host or []:
        if not name or any(c in name for c in "/ \t@") or not name.isascii():
            raise ScenarioError("serve", "--allow-host", f"{name!r} is not a host name")
    limits = Limits(workers=workers, seconds=seconds, max_samples=max_samples, max_moves=max_moves, worker_memory=worker_memory)
    hosts = allowed_hosts(host, tuple(allow_host or ()))
    app = create_app(limits, None if no_store else (store or default_store_path()), hosts=hosts)
    shown = f"[{host}]" if ":" in host else host
    sys.stderr.write(f"detente serve: http://{shown}:{port}/ (API docs at /docs; Ctrl-C stops)\n")
    uvicorn.Server(server_config(app, host, port)).run()
