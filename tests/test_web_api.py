"""`detente serve`'s JSON API, in process (httpx through Starlette's test client): the answers
are the CLI's own results, and every bound is a 4xx with one sentence, never a 500."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice that httpx2 will replace httpx
    from fastapi.testclient import TestClient

from detente import api
from detente.scenario import library
from detente.scenario.loader import load
from detente.web.app import create_app
from detente.web.limits import Limits

HANOI = {"scenario": "hanoi-2019"}

# A scenario within the server's size bounds (16 free moves, up to 3 a stage) that the exact
# solver needs seconds for (two searches of up to 24 million transitions each, since there is no
# deal to bound them): the time budget of the test below, not a size check, has to stop it.
SLOW = "\n".join(
    [
        '[scenario]\nid = "slow"\ntitle = "slow"',
        '[[parties]]\nid = "a"\nname = "A"\ndiscount = 0.9',
        '[[parties]]\nid = "b"\nname = "B"\ndiscount = 0.9',
        "[solver]\nmax_stage_moves = 3\nmax_transitions = 100000000",
    ]
    + [
        f'[[moves]]\nid = "{p}{i}"\nowner = "{p}"\nlabel = "{p}{i}"\ncost = {1 + i * 0.1:.1f}\nvalue = {{ {q} = {2 + i * 0.3:.1f} }}'
        for p, q in (("a", "b"), ("b", "a"))
        for i in range(8)
    ]
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = tmp_path_factory.mktemp("serve") / "runs.duckdb"
    limits = Limits(max_samples=50, max_jobs=2, workers=1, max_transitions=50_000_000)
    with TestClient(create_app(limits, store), base_url="http://127.0.0.1") as c:
        yield c


def _wait(client: TestClient, job_id: str, seconds: float = 120.0) -> dict:  # type: ignore[type-arg]
    deadline = time.time() + seconds
    while time.time() < deadline:
        view = client.get(f"/api/jobs/{job_id}").json()
        if view["status"] not in ("queued", "running"):
            return view  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {seconds} s")


def test_the_catalogue_lists_bilateral_and_forecast_scenarios(client: TestClient) -> None:
    listed = {s["id"]: s["kind"] for s in client.get("/api/scenarios").json()}
    assert listed["hanoi-2019"] == "bilateral"
    assert listed["korea-six-party-2019"] == "forecast"


def test_a_library_scenario_comes_with_its_text_and_sliders(client: TestClient) -> None:
    info = client.get("/api/scenarios/hanoi-2019").json()
    assert info["toml"].startswith("# ") or "[scenario]" in info["toml"]
    sliders = {p["name"]: p for p in info["parameters"]}
    # leakage has a triangular distribution from 0.15 to 0.6: the slider spans it
    assert (sliders["leakage"]["low"], sliders["leakage"]["value"], sliders["leakage"]["high"]) == (0.15, 0.35, 0.6)
    # icbm_force has none: 0 to twice its value
    assert (sliders["icbm_force"]["low"], sliders["icbm_force"]["high"]) == (0.0, 10.0)
    # yongbyon_share has a distribution within its domain [0, 1]; a domain caps the range
    assert 0.0 <= sliders["yongbyon_share"]["low"] and sliders["yongbyon_share"]["high"] <= 1.0
    assert [p["id"] for p in info["proposals"]] == [p.id for p in load("hanoi-2019").proposals]


def test_analyse_answers_what_detente_run_computes(client: TestClient) -> None:
    answer = client.post("/api/analyse", json=HANOI | {"overrides": {"leakage": 0.5}}).json()
    expected = api.analyse(load("hanoi-2019", {"leakage": 0.5}))
    got = answer["analysis"]
    assert got["solve"]["schedule"] == expected.solve.schedule
    assert got["solve"]["values"] == pytest.approx(expected.solve.values)
    assert [v["audit"]["self_enforcing_deal"] for v in got["proposals"]] == [
        v.audit.self_enforcing_deal for v in expected.proposals
    ]
    assert {"schedule", "slack", "values", "beliefs", "signals"} <= set(answer["figures"])
    assert answer["figures"]["schedule"]["data"], "the schedule figure has traces"


def test_solve_audit_beliefs_signals_equal_the_api(client: TestClient) -> None:
    sc = load("hanoi-2019")
    assert client.post("/api/solve", json=HANOI).json()["schedule"] == api.solve(sc).schedule
    proposal = sc.proposals[0].id
    audit = client.post("/api/audit", json=HANOI | {"proposal": proposal}).json()
    assert audit["reason"] == api.audit(sc, proposal=proposal).reason
    beliefs = client.post("/api/beliefs", json=HANOI).json()
    assert beliefs["parties"][0]["final"] == pytest.approx(api.beliefs(sc).parties[0].final)
    signals = client.post("/api/signals", json=HANOI).json()
    assert [s["separates"] for s in signals["signals"]] == [s.separates for s in api.signals(sc).signals]


def test_a_posted_scenario_is_analysed_like_a_file(client: TestClient) -> None:
    text = library.read_bytes("singapore-2018").decode("utf-8")
    answer = client.post("/api/solve", json={"toml": text})
    assert answer.status_code == 200
    assert answer.json()["schedule"] == api.solve("singapore-2018").schedule


def test_a_posted_forecast_is_described_as_one(client: TestClient) -> None:
    from detente.smp.scenario import library_text

    text = (library_text("korea-six-party-2019") or b"").decode("utf-8")
    info = client.post("/api/describe", json={"toml": text}).json()
    assert (info["kind"], info["id"], info["parameters"]) == ("forecast", "korea-six-party-2019", [])
    answer = client.post("/api/forecast", json={"toml": text}).json()
    assert answer["forecast"]["positions"] == api.forecast("korea-six-party-2019").positions


def test_the_forecast_answers_with_a_chart_per_dimension(client: TestClient) -> None:
    answer = client.post("/api/forecast", json={"scenario": "korea-six-party-2019"}).json()
    expected = api.forecast("korea-six-party-2019")
    assert answer["forecast"]["positions"] == expected.positions
    assert len(answer["figures"]) == len(expected.dimensions)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"toml": "title = [unclosed"}, 422, "posted TOML: invalid TOML"),
        ({"toml": '[scenario]\nid = "x"\ntitle = "x"\n'}, 422, "posted TOML"),
        ({"scenario": "no-such-case"}, 404, "no library scenario 'no-such-case'"),
        ({"scenario": "hanoi-2019", "toml": "x = 1"}, 422, "either 'scenario'"),
        ({"scenario": "hanoi-2019", "overrides": {"nonsense": 1.0}}, 422, "nonsense"),
        ({"scenario": "../../etc/passwd"}, 422, "scenario"),
    ],
)
def test_bad_input_is_a_4xx_with_one_line(client: TestClient, body: dict, status: int, words: str) -> None:  # type: ignore[type-arg]
    answer = client.post("/api/solve", json=body)
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    text = detail if isinstance(detail, str) else " ".join(f"{'.'.join(map(str, d['loc']))} {d['msg']}" for d in detail)
    assert words in text
    if isinstance(detail, str):
        assert "\n" not in detail


def test_a_body_over_the_cap_is_refused_before_it_is_read(client: TestClient) -> None:
    big = "# " + "x" * 300_000
    answer = client.post("/api/solve", json={"toml": big})
    assert answer.status_code == 413
    assert "exceeds this server's limit of 256,000 bytes" in answer.json()["detail"]


def test_a_chunked_body_over_the_cap_is_refused_as_it_streams(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"toml": "'
        for _ in range(40):
            yield b"x" * 10_000
        yield b'"}'

    answer = client.post("/api/solve", content=chunks(), headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_too_many_moves_are_refused_before_solving(client: TestClient) -> None:
    moves = "\n".join(f'[[moves]]\nid = "m{i}"\nowner = "a"\nlabel = "m{i}"\ncost = 1' for i in range(17))
    text = '[scenario]\nid = "big"\ntitle = "big"\n[[parties]]\nid = "a"\nname = "A"\ndiscount = 0.9\n' \
        '[[parties]]\nid = "b"\nname = "B"\ndiscount = 0.9\n' + moves
    answer = client.post("/api/solve", json={"toml": text})
    assert answer.status_code == 422
    assert answer.json()["detail"] == "posted TOML: moves: 17 moves exceed this server's limit of 16"


def test_a_request_over_its_time_budget_is_stopped_and_the_server_goes_on(tmp_path: Path) -> None:
    limits = Limits(seconds=0.5, workers=1, max_transitions=50_000_000)
    with TestClient(create_app(limits, None), base_url="http://127.0.0.1") as c:
        started = time.perf_counter()
        answer = c.post("/api/solve", json={"toml": SLOW})
        assert answer.status_code == 422, answer.text
        assert "budget of 0.5 s" in answer.json()["detail"]
        assert time.perf_counter() - started < 15
        # the worker was killed and replaced: the next request is answered
        assert c.post("/api/solve", json=HANOI).json()["schedule"] == api.solve("hanoi-2019").schedule


def test_too_many_pending_requests_get_429() -> None:
    with TestClient(create_app(Limits(max_pending=0, workers=1), None, warm=False), base_url="http://127.0.0.1") as c:
        answer = c.post("/api/solve", json=HANOI)
        assert answer.status_code == 429
        assert "this server's limit" in answer.json()["detail"]


def test_a_simulation_job_reports_progress_and_the_cli_s_result(client: TestClient) -> None:
    body = HANOI | {"kind": "simulate", "samples": 6, "seed": 3, "strategies": ["summit-first", "working-1"]}
    submitted = client.post("/api/jobs", json=body)
    assert submitted.status_code == 202
    view = _wait(client, submitted.json()["id"])
    assert view["status"] == "complete", view
    assert view["done"] == view["total"] == 6
    expected = api.simulate("hanoi-2019", 6, seed=3, strategies=["summit-first", "working-1"], workers=1)
    got = [(s["strategy"], s["p_signed"]["estimate"]) for s in view["result"]["strategies"]]
    assert got == [(s.strategy, s.p_signed.estimate) for s in expected.strategies]
    assert view["figure"]["data"]
    # recorded in the run store, and readable through the API
    record = client.get(f"/api/runs/{view['run_id']}").json()
    assert record["kind"] == "simulate" and record["status"] == "complete"
    assert view["run_id"] in [r["id"] for r in client.get("/api/runs").json()]


def test_a_cancelled_job_stops_and_keeps_what_it_finished(client: TestClient) -> None:
    body = HANOI | {"kind": "simulate", "samples": 50, "seed": 1}
    job = client.post("/api/jobs", json=body).json()
    client.delete(f"/api/jobs/{job['id']}")
    view = _wait(client, job["id"])
    assert view["status"] == "stopped"
    assert view["reason"] in ("cancelled", "cancelled before it started")
    assert view["done"] < 50


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"kind": "simulate", "samples": 51}, "samples: 51 is outside this server's range 1..50"),
        ({"kind": "sensitivity", "samples": 1000}, "samples: 1000 is outside this server's range 1..256"),
        ({"kind": "sensitivity", "histories": 51}, "histories: 51 is outside this server's range 1..50"),
    ],
)
def test_work_over_the_caps_is_refused(client: TestClient, body: dict, words: str) -> None:  # type: ignore[type-arg]
    answer = client.post("/api/jobs", json=HANOI | body)
    assert answer.status_code == 422
    assert answer.json()["detail"] == words


def test_unknown_jobs_and_runs_are_404(client: TestClient) -> None:
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.get("/api/runs/nope").status_code == 404
    assert client.get("/api/scenarios/nope").status_code == 404


def test_the_page_and_its_scripts_load_nothing_from_the_network(client: TestClient) -> None:
    page = client.get("/").text
    assert 'src="/static/plotly.min.js"' in page and 'src="/static/app.js"' in page
    for asset in ("/", "/static/app.js", "/static/style.css"):
        text = client.get(asset).text
        assert "http://" not in text and "https://" not in text, asset
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000


def test_the_openapi_schema_documents_every_analysis(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/analyse", "/api/solve", "/api/audit", "/api/beliefs", "/api/signals",
                 "/api/forecast", "/api/report", "/api/jobs", "/api/jobs/{job_id}", "/api/runs"):
        assert path in paths, path
    assert client.get("/docs").status_code == 200


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--port", "0"], "serve: --port: 0 is out of range"),
        (["--port", "70000"], "serve: --port: 70000 is out of range"),
        (["--workers", "0"], "serve: --workers: 0 is out of range"),
        (["--seconds", "0"], "serve: --seconds: must be positive, got 0.0"),
    ],
)
def test_serve_refuses_bad_options_in_one_line(args: list[str], words: str) -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "detente", "serve", *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr == f"error: {words}\n"
