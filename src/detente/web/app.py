"""``detente serve``: a JSON API over every analysis and a web page, as thin views over the
CLI's result objects.

Each analysis runs in a worker process (pebble's pool), with a wall-clock budget after which
that process is killed and replaced, so no request can hang a worker; long analyses are
background jobs (``detente.web.jobs``). Every bound is answered with a 4xx and one sentence
(``detente.web.limits``); the server reads no path from a request.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pebble import ProcessExpired, ProcessPool

from detente import __version__, api
from detente.defaults import DEFAULT_SCENARIO
from detente.errors import DetenteError, ScenarioError, one_line
from detente.results import AuditResult, BeliefsResult, SignalsResult, SolveResult, TippingResult
from detente.store import RunStore, StoreError
from detente.web import work
from detente.web.guard import BODY_SECONDS, HostCheck, SafeJSONResponse, allowed_hosts, problem
from detente.web.jobs import Jobs, check_job
from detente.web.limits import LimitError, Limits
from detente.web.requests import (
    AnalyseRequest,
    AuditRequest,
    ForecastRequest,
    JobRequest,
    ScenarioRef,
    SignalsRequest,
)
from detente.web.responses import (
    ERRORS,
    AnalyseResponse,
    ForecastResponse,
    JobView,
    ScenarioInfo,
    ScenarioSummary,
)
from detente.web.size import BodySizeLimit
from detente.workers import init_worker, memory_limit, out_of_memory

T = TypeVar("T")


def validation_sentence(errors: Sequence[Any]) -> str:
    """pydantic's first complaint about a request, as ``where: what`` (and how many more)."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(x) for x in first.get("loc", ()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    what = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {what}{more}"


def _static(name: str) -> bytes:
    return resources.files("detente.web").joinpath("static", name).read_bytes()


def _warm_up() -> None:
    """Compile (or load) the solver once in the parent, so that forked workers start warm."""
    api.solve(DEFAULT_SCENARIO)


def _catalogue() -> list[ScenarioSummary]:
    return [ScenarioSummary(id=e.id, kind=e.kind, title=e.title) for e in api.scenario_library()]


def create_app(
    limits: Limits | None = None,
    store: Path | None = None,
    warm: bool = True,
    hosts: frozenset[str] | None = None,
) -> FastAPI:
    """The app; ``store``: the run store jobs are recorded in and ``/api/runs`` reads (None:
    none); ``hosts``: the Host names it answers (default: loopback's, see ``guard``)."""
    lim = limits or Limits()
    state: dict[str, Any] = {}
    memory = memory_limit(lim.workers, lim.worker_memory)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if warm:
            _warm_up()
        # each worker: the memory limit, death with the server, Ctrl-C left to the server
        state["pool"] = ProcessPool(max_workers=lim.workers, initializer=init_worker, initargs=(memory,))
        state["jobs"] = Jobs(lim, store, memory)
        state["pending"] = 0
        try:
            yield
        finally:
            state["jobs"].shutdown()
            state["pool"].stop()
            state["pool"].join(timeout=10)

    app = FastAPI(
        responses=ERRORS,
        title="detente",
        version=__version__,
        summary="Self-enforcing sequencing of concessions: the analyses of the detente CLI as a JSON API.",
        lifespan=lifespan,
        default_response_class=SafeJSONResponse,
    )
    app.add_middleware(BodySizeLimit, max_bytes=lim.max_body_bytes, seconds=BODY_SECONDS)
    app.add_middleware(HostCheck, allowed=hosts if hosts is not None else allowed_hosts("127.0.0.1"))
    catalogue = _catalogue()
    plotly_js = None

    @app.exception_handler(LimitError)
    async def _limit(_: Request, exc: LimitError) -> JSONResponse:
        return problem(str(exc), exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(one_line(validation_sentence(exc.errors())), 422)

    @app.exception_handler(DetenteError)
    async def _user_error(_: Request, exc: DetenteError) -> JSONResponse:
        if isinstance(exc, ScenarioError):  # every problem of the scenario, not the first alone
            errors = [{"file": exc.source, "key": key, "reason": reason} for key, reason in exc.problems]
            return problem(str(exc), 422, errors)
        return problem(str(exc), 422)

    async def run(fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker process, within the pending and time bounds."""
        if state["pending"] >= lim.max_pending:
            raise LimitError(f"{state['pending']} analyses are running or waiting, this server's limit; try again shortly", 429)
        state["pending"] += 1
        future = state["pool"].schedule(fn, args=args, timeout=lim.seconds)
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout:
            raise LimitError(
                f"the analysis took longer than this server's budget of {lim.seconds:g} s and was stopped; "
                "try a smaller scenario (fewer moves, lower solver.max_stage_moves)"
            ) from None
        except ProcessExpired as exc:
            raise LimitError(
                f"the worker running the analysis died (exit code {exc.exitcode}); the scenario is probably too large"
            ) from None
        except MemoryError:  # the worker hit its memory limit; pebble replaces it
            raise LimitError(out_of_memory(memory, "the worker running the analysis")) from None
        finally:
            state["pending"] -= 1
            if not future.done():
                future.cancel()

    # ---- the page -------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(_static("index.html"))

    @app.get("/static/app.js", include_in_schema=False)
    async def app_js() -> Response:
        return Response(_static("app.js"), media_type="text/javascript")

    @app.get("/static/style.css", include_in_schema=False)
    async def style() -> Response:
        return Response(_static("style.css"), media_type="text/css")

    @app.get("/static/plotly.min.js", include_in_schema=False)
    async def plotly() -> Response:
        nonlocal plotly_js
        if plotly_js is None:
            from plotly.offline import get_plotlyjs

            plotly_js = get_plotlyjs().encode("utf-8")
        return Response(plotly_js, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})

    # ---- scenarios ------------------------------------------------------------------------

    @app.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/api/scenarios", response_model=list[ScenarioSummary])
    async def scenarios() -> list[ScenarioSummary]:
        """The built-in scenarios: bilateral (for every analysis) and forecasts."""
        return catalogue

    @app.get("/api/scenarios/{scenario_id}", response_model=ScenarioInfo, responses={404: {}})
    async def scenario(scenario_id: str) -> Any:
        """A built-in scenario's text, title, parameters (with slider ranges) and proposals."""
        if scenario_id in work.library_ids("forecast"):
            text = api.scenario_text(scenario_id)[1].decode("utf-8")
            title = next(s.title for s in catalogue if s.id == scenario_id)
            return ScenarioInfo(id=scenario_id, kind="forecast", title=title, toml=text)
        if scenario_id not in work.library_ids("bilateral"):
            raise work.NotFound(f"no built-in scenario {scenario_id!r}")
        return await run(work.describe, ScenarioRef(scenario=scenario_id), lim)

    @app.post("/api/describe", response_model=ScenarioInfo)
    async def describe(req: ScenarioRef) -> Any:
        """A posted scenario's title, parameters (with slider ranges) and proposals."""
        return await run(work.describe, req, lim)

    # ---- analyses -------------------------------------------------------------------------

    @app.post("/api/analyse", response_model=AnalyseResponse)
    async def analyse(req: AnalyseRequest) -> Any:
        """`detente run`: proposals' verdicts, the self-enforcing deal, beliefs, signals, figures."""
        return await run(work.analyse, req, lim)

    @app.post("/api/solve", response_model=SolveResult)
    async def solve(req: ScenarioRef) -> Any:
        """`detente solve`: the self-enforcing deal that maximises the Nash product."""
        return await run(work.solve, req, lim)

    @app.post("/api/audit", response_model=AuditResult)
    async def audit(req: AuditRequest) -> Any:
        """`detente audit`: why a proposal (or stages) holds or fails, stage by stage."""
        return await run(work.audit, req, lim)

    @app.post("/api/beliefs", response_model=BeliefsResult)
    async def beliefs(req: ScenarioRef) -> Any:
        """`detente beliefs`: each party's type posterior over the event timeline."""
        return await run(work.beliefs, req, lim)

    @app.post("/api/signals", response_model=SignalsResult)
    async def signals(req: SignalsRequest) -> Any:
        """`detente signals`: which signals separate the sender's good type, with margins."""
        return await run(work.signals, req, lim)

    @app.post("/api/forecast", response_model=ForecastResponse)
    async def forecast(req: ForecastRequest) -> Any:
        """`detente forecast`: the multi-actor forecast (KTAB's SMP), turn by turn, with figures."""
        return await run(work.forecast, req, lim)

    @app.post(
        "/api/report",
        response_class=Response,
        responses={200: {"content": {"text/html": {}}, "description": "The report, one self-contained HTML file"}},
    )
    async def report(req: AnalyseRequest) -> Response:
        """`detente report`: the self-contained HTML report, as a download."""
        text = await run(work.report, req, lim)
        return HTMLResponse(text, headers={"Content-Disposition": 'attachment; filename="detente-report.html"'})

    @app.post(
        "/api/forecast/report",
        response_class=Response,
        responses={200: {"content": {"text/html": {}}, "description": "The forecast's report, one self-contained HTML file"}},
    )
    async def forecast_report(req: ForecastRequest) -> Response:
        """`detente report` of a forecast: positions turn by turn per dimension, and why each actor moved."""
        text = await run(work.forecast_html, req, lim)
        return HTMLResponse(text, headers={"Content-Disposition": 'attachment; filename="detente-forecast-report.html"'})

    @app.post("/api/tipping", response_model=TippingResult)
    async def tipping(req: ScenarioRef) -> Any:
        """`detente tipping --no-offers`: each verdict's nearest flip along every parameter."""
        return await run(work.tipping, req, lim)

    # ---- background jobs ------------------------------------------------------------------

    @app.post("/api/jobs", response_model=JobView, status_code=202)
    async def submit(req: JobRequest) -> Any:
        """Start `detente simulate` or `detente sensitivity` in the background."""
        await run(check_job, req, lim)
        return state["jobs"].submit(req).view()

    @app.get("/api/jobs/{job_id}", response_model=JobView, responses={404: {}})
    async def job(job_id: str) -> Any:
        """A job's progress, and its result once it has one."""
        found = state["jobs"].get(job_id)
        if found is None:
            raise work.NotFound(f"no job {job_id!r}")
        return found.view()

    @app.delete("/api/jobs/{job_id}", response_model=JobView, responses={404: {}})
    async def cancel(job_id: str) -> Any:
        """Stop a job; what it finished is kept (as Ctrl-C in the CLI)."""
        found = state["jobs"].cancel(job_id)
        if found is None:
            raise work.NotFound(f"no job {job_id!r}")
        return found.view()

    # ---- the run store --------------------------------------------------------------------

    def _store() -> RunStore:
        if store is None:
            raise work.NotFound("this server keeps no run store (started with --no-store)")
        return RunStore(store)

    @app.get("/api/runs")
    async def runs(limit: int = 50) -> list[dict[str, Any]]:
        """The recorded runs, newest first (`detente runs list`)."""
        if not 1 <= limit <= 500:
            raise LimitError(f"limit: {limit} is outside this server's range 1..500")
        try:
            found = await asyncio.to_thread(_store().list, limit)
        except StoreError:  # its message names the store's path: not for a client
            raise LimitError("the run store cannot be read", 409) from None
        return [r.model_dump(mode="json", exclude={"result"}) for r in found]

    @app.get("/api/runs/{run_id}", responses={404: {}})
    async def run_record(run_id: str) -> dict[str, Any]:
        """One recorded run with its result (`detente runs show`)."""
        try:
            record = await asyncio.to_thread(_store().get, run_id)
        except StoreError:  # its message names the store's path: not for a client
            raise work.NotFound(f"no run with id {run_id[:64]!r}") from None
        return record.model_dump(mode="json")

    return app


__all__ = ["create_app"]
