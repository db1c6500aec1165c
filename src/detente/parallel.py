"""Where the tasks of a simulation or a sensitivity analysis run: here, on local worker
processes, or on a Dask cluster (a LocalCluster or a running scheduler).

Local workers run under a memory limit and die with their parent (``detente.workers``); when
a run stops early (Ctrl-C, a server job cancelled or past its budget) they are killed at once,
not waited for. A server job runs its tasks under ``supervised(stop)``: ``stop()`` is asked
a few times a second while tasks run, and a reason from it stops the run as Ctrl-C does.

Every executor hands back the tasks' results **in task order**, whatever order they finish
in, so the caller's running sums add up the same way and the same seed gives the same
answer with 1 worker, 2 workers or Dask (a test). The shared input (the scenario) is sent to
each worker once: as an initializer argument to local processes, scattered to Dask workers.
Ctrl-C (KeyboardInterrupt) cancels what has not finished and propagates to the caller, which
keeps the results already delivered.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

from detente import workers as _workers
from detente.errors import DetenteError

R = TypeVar("R")
Task = tuple[Any, ...]


class ExecutionError(DetenteError):
    """The executor could not run (Dask missing, a scheduler unreachable, a worker lost); a
    message about the ``dask`` argument starts with its name."""


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


class Stopped(KeyboardInterrupt):
    """A supervised run stopped (cancelled, or past its budget): handled as Ctrl-C is, the
    results already delivered kept."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Supervision(threading.local):
    stop: Callable[[], str | None] | None = None
    memory: int | None = None


_SUPERVISION = _Supervision()
_POLL = 0.2  # seconds between two questions to a supervisor's stop()


@contextlib.contextmanager
def supervised(stop: Callable[[], str | None], memory: int | None = None) -> Iterator[None]:
    """Runs started in this thread inside the block use worker processes (even for one
    worker, so that they can be killed) and stop, killing their workers, as soon as
    ``stop()`` returns a reason; ``memory``: each worker's limit (None: the default)."""
    _SUPERVISION.stop, _SUPERVISION.memory = stop, memory
    try:
        yield
    finally:
        _SUPERVISION.stop, _SUPERVISION.memory = None, None


def ordered_results(
    fn: Callable[..., R], shared: object, tasks: Sequence[Task], execution: Execution
) -> Generator[R, None, None]:
    """``fn(shared, *task)`` for every task, yielded in task order."""
    stop = _SUPERVISION.stop
    if execution.dask is not None:
        yield from _dask(fn, shared, tasks, execution)
    elif execution.n_workers == 1 and stop is None:
        _GATHERING.serial, _GATHERING.stop = True, False
        try:
            for task in tasks:
                yield fn(shared, *task)
                if _GATHERING.stop:  # a signal arrived while compiled code ran: stop here
                    raise KeyboardInterrupt
        finally:
            _GATHERING.serial = False
    else:
        yield from _processes(fn, shared, tasks, execution.n_workers, stop)


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
    outer = _GATHERING.active
    _GATHERING.active = True
    try:
        for i, result in enumerate(results):
            take(i, result)
    except KeyboardInterrupt:
        return False
    finally:
        _GATHERING.active = outer
        results.close()
    return True


class _Gathering(threading.local):
    active = False  # in run_in_order
    serial = False  # running the tasks itself (not waiting for workers)
    stop = False  # asked to stop after the task it runs


_GATHERING = _Gathering()


def gathering() -> str | None:
    """How this thread gathers results, if it is in ``run_in_order`` (which turns Ctrl-C into
    a partial result): ``"wait"`` for workers (KeyboardInterrupt may be raised at any
    point), or ``"serial"``, running compiled code that an exception raised from a signal
    handler would corrupt: then ``stop_serial()`` stops it after the task it runs."""
    if not _GATHERING.active:
        return None
    return "serial" if _GATHERING.serial else "wait"


def stop_serial() -> None:
    _GATHERING.stop = True


_SHARED: dict[str, object] = {}


def _start_worker(shared: object, limit: int) -> None:
    _workers.init_worker(limit)
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


def _processes(
    fn: Callable[..., R], shared: object, tasks: Sequence[Task], n: int, stop: Callable[[], str | None] | None
) -> Iterator[R]:
    try:
        limit = _SUPERVISION.memory if _SUPERVISION.memory is not None else _workers.memory_limit(n)
    except _workers.MemorySettingError as exc:
        raise ExecutionError(f"{_workers.ENV}: {exc}") from None
    pool = ProcessPool(max_workers=n, initializer=_start_worker, initargs=(shared, limit))
    clean = False
    try:

        def wait_any(futures: set[Future[R]]) -> set[Future[R]]:
            while True:
                done = wait(futures, timeout=_POLL if stop else None, return_when=FIRST_COMPLETED)[0]
                if done:
                    return done
                reason = stop() if stop else None
                if reason:
                    raise Stopped(reason)

        def result(future: Future[R]) -> R:
            try:
                return future.result()
            except MemoryError:
                raise ExecutionError(_workers.out_of_memory(limit)) from None
            except (ProcessExpired, BrokenProcessPool) as exc:
                code = getattr(exc, "exitcode", None)
                how = f" (signal {-code})" if isinstance(code, int) and code < 0 else ""
                raise ExecutionError(
                    f"a worker process died{how}; the scenario is probably too large for the memory it may use "
                    f"({_workers.describe(limit) if limit else 'no limit'})"
                ) from None

        yield from _in_order(
            lambda i: pool.schedule(_in_process, args=(fn, tasks[i])), len(tasks), 2 * n, wait_any, result
        )
        clean = True
    finally:
        if clean:
            pool.close()
        else:
            pool.stop()  # a stopped run kills its workers mid-task instead of waiting for them
        pool.join()


def _dask(fn: Callable[..., R], shared: object, tasks: Sequence[Task], execution: Execution) -> Iterator[R]:
    try:
        from distributed import Client, LocalCluster
        from distributed import wait as dask_wait
    except ImportError:
        raise ExecutionError(
            "dask needs Dask's distributed scheduler: pip install 'detente[dask]'"
        ) from None
    cluster = None
    try:
        if execution.dask == "local":
            try:
                limit = _workers.memory_limit(execution.n_workers)
            except _workers.MemorySettingError as exc:
                raise ExecutionError(f"{_workers.ENV}: {exc}") from None
            cluster = LocalCluster(
                n_workers=execution.n_workers,
                threads_per_worker=1,  # the solver is compiled code holding one core
                processes=True,
                dashboard_address=None,
                memory_limit=limit or None,  # its nanny restarts a worker past the limit
            )
            client = Client(cluster)
        else:
            client = Client(execution.dask, timeout="10s")
    except OSError as exc:
        if cluster is not None:
            cluster.close()
        raise ExecutionError(f"dask {execution.dask}: cannot reach the scheduler ({exc})") from None
    clean = False
    futures: list[Any] = []
    try:
        threads = sum(client.nthreads().values())
        if threads == 0:
            raise ExecutionError(f"dask {execution.dask}: the scheduler has no workers")
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


__all__ = ["Execution", "ExecutionError", "Stopped", "gathering", "ordered_results", "run_in_order", "stop_serial",
           "supervised"]
