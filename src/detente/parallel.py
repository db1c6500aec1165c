"""Where the tasks of a simulation or a sensitivity analysis run: here, on local worker
processes, or on a Dask cluster (a LocalCluster or a running scheduler).

Every executor hands back the tasks' results **in task order**, whatever order they finish
in, so the caller's running sums add up the same way and the same seed gives the same
answer with 1 worker, 2 workers or Dask (a test). The shared input (the scenario) is sent to
each worker once: as an initializer argument to local processes, scattered to Dask workers.
Ctrl-C (KeyboardInterrupt) cancels what has not finished and propagates to the caller, which
keeps the results already delivered.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, TypeVar

from detente.errors import DetenteError

R = TypeVar("R")
Task = tuple[Any, ...]


class ExecutionError(DetenteError):
    """The executor could not run (Dask missing, a scheduler unreachable, a worker lost)."""


@dataclass(frozen=True)
class Execution:
    """How to run tasks: ``workers`` local processes (None: every core), or a Dask cluster
    (``dask="local"`` starts a LocalCluster of ``workers`` processes; an address such as
    ``tcp://10.0.0.5:8786`` connects to a running scheduler)."""

    workers: int | None = None
    dask: str | None = None

    @property
    def n_workers(self) -> int:
        return max(1, self.workers if self.workers is not None else (os.cpu_count() or 1))

    @property
    def workers_used(self) -> int | None:
        """Worker processes detente started (None: a remote cluster's, counted there)."""
        return self.n_workers if self.dask is None or self.dask == "local" else None

    def describe(self) -> str:
        if self.dask is None:
            return "serial" if self.n_workers == 1 else f"{self.n_workers} local processes"
        if self.dask == "local":
            return f"Dask LocalCluster of {self.n_workers} workers"
        return f"Dask cluster at {self.dask}"


def ordered_results(
    fn: Callable[..., R], shared: object, tasks: Sequence[Task], execution: Execution
) -> Generator[R, None, None]:
    """``fn(shared, *task)`` for every task, yielded in task order."""
    if execution.dask is not None:
        yield from _dask(fn, shared, tasks, execution)
    elif execution.n_workers == 1:
        for task in tasks:
            yield fn(shared, *task)
    else:
        yield from _processes(fn, shared, tasks, execution.n_workers)


def run_in_order(
    fn: Callable[..., R],
    shared: object,
    tasks: Sequence[Task],
    execution: Execution,
    take: Callable[[int, R], None],
) -> bool:
    """Hand each result to ``take(index, result)`` in task order. Returns False when Ctrl-C
    stopped the run (what was taken is kept; what still ran is cancelled)."""
    results = ordered_results(fn, shared, tasks, execution)
    try:
        for i, result in enumerate(results):
            take(i, result)
    except KeyboardInterrupt:
        return False
    finally:
        results.close()
    return True


_SHARED: dict[str, object] = {}


def _remember(shared: object) -> None:
    _SHARED["shared"] = shared


def _in_process(fn: Callable[..., R], task: Task) -> R:
    return fn(_SHARED["shared"], *task)


def _in_order(
    submit: Callable[[int], Any],
    n_tasks: int,
    in_flight: int,
    wait_any: Callable[[set[Any]], set[Any]],
    result: Callable[[Any], R],
) -> Iterator[R]:
    """Keep ``in_flight`` tasks submitted; deliver results in task order as they finish."""
    pending: dict[Any, int] = {}
    finished: dict[int, R] = {}
    next_task = 0
    next_out = 0
    while next_out < n_tasks:
        while next_task < n_tasks and len(pending) < in_flight:
            pending[submit(next_task)] = next_task
            next_task += 1
        for fut in wait_any(set(pending)):
            finished[pending.pop(fut)] = result(fut)
        while next_out in finished:
            yield finished.pop(next_out)
            next_out += 1


def _processes(fn: Callable[..., R], shared: object, tasks: Sequence[Task], n: int) -> Iterator[R]:
    pool = ProcessPoolExecutor(max_workers=n, initializer=_remember, initargs=(shared,))
    clean = False
    try:

        def wait_any(futures: set[Future[R]]) -> set[Future[R]]:
            return wait(futures, return_when=FIRST_COMPLETED)[0]

        yield from _in_order(
            lambda i: pool.submit(_in_process, fn, tasks[i]), len(tasks), 2 * n, wait_any, Future.result
        )
        clean = True
    finally:
        pool.shutdown(wait=clean, cancel_futures=True)


def _dask(fn: Callable[..., R], shared: object, tasks: Sequence[Task], execution: Execution) -> Iterator[R]:
    try:
        from distributed import Client, LocalCluster
        from distributed import wait as dask_wait
    except ImportError:
        raise ExecutionError(
            "--dask needs Dask's distributed scheduler: pip install 'detente[dask]'"
        ) from None
    cluster = None
    try:
        if execution.dask == "local":
            cluster = LocalCluster(
                n_workers=execution.n_workers,
                threads_per_worker=1,  # the solver is compiled code holding one core
                processes=True,
                dashboard_address=None,
            )
            client = Client(cluster)
        else:
            client = Client(execution.dask, timeout="10s")
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise ExecutionError(f"--dask {execution.dask}: cannot reach the scheduler ({exc})") from None
    clean = False
    futures: list[Any] = []
    try:
        threads = sum(client.nthreads().values())
        if threads == 0:
            raise ExecutionError(f"--dask {execution.dask}: the scheduler has no workers")
        remote = client.scatter(shared, broadcast=True)

        def submit(i: int) -> Any:
            fut = client.submit(fn, remote, *tasks[i], pure=False)
            futures.append(fut)
            return fut

        def wait_any(pending: set[Any]) -> set[Any]:
            done, _ = dask_wait(list(pending), return_when="FIRST_COMPLETED")
            return set(done)

        yield from _in_order(submit, len(tasks), 2 * threads, wait_any, lambda f: f.result())
        clean = True
    finally:
        if not clean:
            client.cancel([f for f in futures if not f.done()])
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["Execution", "ExecutionError", "ordered_results", "run_in_order"]
