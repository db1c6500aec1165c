"""Long analyses (simulate, sensitivity) as background jobs with progress.

One job runs at a time, on local worker processes (``detente.parallel``, under the workers'
memory limit), from a thread of the server; a few more may wait. Its options are all checked
before it is queued. A job past its time budget, or cancelled, has its worker processes
killed at once, mid-history, and stops the way Ctrl-C stops the CLI: what finished is kept
(a simulation's tallies so far; a sensitivity analysis has no indices until its design is
complete). Every job is recorded in the run
store, as the CLI's runs are.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from detente import api
from detente.errors import DetenteError
from detente.parallel import supervised
from detente.report.uncertainty_figures import simulation_outcomes, sobol_indices
from detente.results import SensitivityResult, SimulationResult
from detente.store import Recording, StoreError
from detente.web.limits import LimitError, Limits, check_count
from detente.web.requests import SensitivityJob, SimulateJob
from detente.web.work import load_checked, plain, scenario_bytes

if TYPE_CHECKING:
    from detente import Scenario

Status = Literal["queued", "running", "complete", "stopped", "failed"]
KEEP_FINISHED = 50  # finished jobs kept in memory for their results


class _Stop(KeyboardInterrupt):
    """Raised from the progress callback: the run stops as if interrupted, keeping its results."""


@dataclass
class Job:
    id: str
    request: SimulateJob | SensitivityJob
    status: Status = "queued"
    done: int = 0
    total: int = 0
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    reason: str | None = None  # why a job stopped early
    run_id: str | None = None
    figure: dict[str, Any] | None = None  # the result's chart, for the page
    cancel: threading.Event = field(default_factory=threading.Event)

    def view(self) -> dict[str, Any]:
        now = self.finished or time.time()
        return {
            "id": self.id,
            "kind": self.request.kind,
            "status": self.status,
            "done": self.done,
            "total": self.total,
            "seconds": round(now - self.started, 3) if self.started else 0.0,
            "reason": self.reason,
            "error": self.error,
            "run_id": self.run_id,
            "result": self.result,
            "figure": self.figure,
        }


def check_job(request: SimulateJob | SensitivityJob, limits: Limits) -> None:
    """The request's bounds and its scenario: a 4xx before anything is queued (the app runs
    this in a worker process, under the time budget)."""
    if isinstance(request, SimulateJob):
        check_count("samples", request.samples, limits.max_samples)
    else:
        check_count("samples", request.samples, limits.max_sensitivity_samples)
        check_count("histories", request.histories, limits.max_histories)
    sc = load_checked(request, limits)
    # every option the run itself would refuse, refused now: a 422, not a job that fails later
    if isinstance(request, SimulateJob):
        api.check_simulate(sc, request.samples, request.strategies, limits.workers)
    else:
        api.check_sensitivity(sc, request.metrics, request.samples, request.method, request.histories, limits.workers)


class Jobs:
    """The server's background jobs: submit, look up, cancel."""

    def __init__(self, limits: Limits, store: Path | None, memory: int = 0) -> None:
        self.limits = limits
        self.store = store
        self.memory = memory  # each worker process's address-space limit (0: none)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detente-job")

    def submit(self, request: SimulateJob | SensitivityJob) -> Job:
        """Queue a request ``check_job`` passed, unless too many jobs are waiting."""
        with self._lock:
            active = sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))
            if active >= self.limits.max_jobs:
                raise LimitError(f"{active} jobs are queued or running, this server's limit; try again later", 429)
            job = Job(uuid.uuid4().hex[:12], request)
            self._jobs[job.id] = job
            self._forget_old()
        self._runner.submit(self._run, job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        job = self.get(job_id)
        if job is not None:
            job.cancel.set()
        return job

    def shutdown(self) -> None:
        for job in list(self._jobs.values()):
            job.cancel.set()
        self._runner.shutdown(wait=True, cancel_futures=True)

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.status not in ("queued", "running")]
        for key in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[key]

    def _run(self, job: Job) -> None:
        if job.cancel.is_set():
            job.status, job.reason, job.finished = "stopped", "cancelled before it started", time.time()
            return
        job.status, job.started = "running", time.time()
        deadline = job.started + self.limits.job_seconds

        def stop() -> str | None:
            """Asked a few times a second while the job's worker processes run: a reason
            kills them mid-history and frees the job's slot."""
            if job.cancel.is_set():
                job.reason = "cancelled"
            elif time.time() > deadline:
                job.reason = f"stopped at this server's time budget of {self.limits.job_seconds:g} s"
            return job.reason

        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total
            if stop():
                raise _Stop

        recording = None
        try:
            sc = load_checked(job.request, self.limits)
            recording = self._begin(job, sc)
            with supervised(stop, self.memory):
                result, complete = self._compute(job, sc, progress)
            job.result = result.model_dump(mode="json")
            job.figure = _figure(result)
            job.status = "complete" if complete else "stopped"
            recording.save(result, complete)
        except StoreError:
            job.status, job.error = "failed", "the run store could not be written"
        except (DetenteError, LimitError) as exc:
            job.status, job.error = "failed", str(exc)
        except MemoryError:  # in this server's own process, gathering the results
            job.status, job.error = "failed", "the job ran out of memory in the server; try fewer samples"
        except Exception as exc:  # a job's failure must not take the server down
            job.status, job.error = "failed", f"internal error: {type(exc).__name__}: {exc}"
        finally:
            job.finished = time.time()
            if job.status == "failed" and recording is not None and not recording.status:
                with contextlib.suppress(StoreError):
                    recording.fail(job.error or "failed")

    def _begin(self, job: Job, sc: Scenario) -> Recording:
        """The job's run in the store (nothing recorded without one)."""
        req = job.request
        data = scenario_bytes(req, self.limits)[1] if self.store is not None else b""
        options = req.model_dump(exclude={"scenario", "toml", "overrides", "seed"})
        options["via"] = "detente serve"
        recording = Recording(self.store, req.kind, sc.id, sc.content_hash, data, sc.parameters, req.overrides, req.seed, options)
        job.run_id = recording.run_id or None
        return recording

    def _compute(self, job: Job, sc: Scenario, progress: Callable[[int, int], None]) -> tuple[BaseModel, bool]:
        req = job.request
        workers = self.limits.workers
        if isinstance(req, SimulateJob):
            job.total = req.samples
            sim = api.simulate(sc, req.samples, req.seed, req.strategies, workers=workers, progress=progress, beliefs=req.beliefs)
            return sim, sim.complete
        sens = api.sensitivity(
            sc, req.metrics, req.samples, req.method, req.seed, req.histories, workers=workers, progress=progress
        )
        return sens, sens.complete


def _figure(result: BaseModel) -> dict[str, Any] | None:
    if isinstance(result, SimulationResult):
        return plain(simulation_outcomes(result))
    if isinstance(result, SensitivityResult) and result.complete:
        return plain(sobol_indices(result))
    return None


__all__ = ["Job", "Jobs", "check_job"]
