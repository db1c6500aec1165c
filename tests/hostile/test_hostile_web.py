"""`detente serve` attacked: no client's bytes get a 5xx, every job can be stopped mid-history,
workers stay under their memory limit, slow and misnamed clients are cut off."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from hostile_tools import ROOT, bilateral, children, measured
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from detente.web import guard
from detente.web.app import create_app
from detente.web.limits import Limits
from detente.web.size import BodySizeLimit

LOCAL = "http://127.0.0.1"
WORKED = (ROOT / "docs" / "reference" / "cli.md").read_text().split("<!-- file: worked.toml -->\n```toml\n")[1].split("```")[0]
POSTS = ["/api/describe", "/api/analyse", "/api/solve", "/api/audit", "/api/beliefs", "/api/signals",
         "/api/forecast", "/api/report", "/api/forecast/report", "/api/jobs"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    store = tmp_path_factory.mktemp("web") / "runs.duckdb"
    with TestClient(create_app(Limits(workers=2), store), base_url=LOCAL) as c:
        yield c


def _one_sentence(response: object) -> str:
    detail = response.json()["detail"]  # type: ignore[attr-defined]
    assert isinstance(detail, str) and "\n" not in detail and "Traceback" not in detail
    return detail


@pytest.mark.parametrize("path", POSTS)
def test_a_lone_surrogate_is_a_4xx_everywhere(client: TestClient, path: str) -> None:
    for body in (b'{"toml": "\\ud800"}', b'{"scenario": "hanoi-2019", "overrides": {"\\udfff": 1}}',
                 b'{"scenario": "hanoi-2019", "proposal": "\\ud800"}'):
        r = client.post(path, content=body, headers={"content-type": "application/json"})
        assert 400 <= r.status_code < 500, (path, body, r.status_code, r.text)  # was 500
        _one_sentence(r)


@pytest.mark.parametrize("path", ["/api/describe", "/api/solve"])
def test_odd_bytes_are_a_4xx(client: TestClient, path: str) -> None:
    for body, ctype in ((b'{"toml": "\xff\xfe"}', "application/json"), (b"\xff\xfe{\x00}\x00", "application/json"),
                        ('{"toml": "a = 1"}'.encode("utf-16"), "application/json; charset=utf-16"),
                        (b"\xed\xa0\x80", "application/json")):
        r = client.post(path, content=body, headers={"content-type": ctype})
        assert 400 <= r.status_code < 500, (body, r.status_code, r.text)


def test_a_posted_scenario_with_a_bom_is_read_as_utf8(client: TestClient) -> None:
    r = client.post("/api/describe", json={"toml": "\ufeff" + WORKED})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == "worked-example"


def test_lookalike_text_is_refused_in_one_sentence(client: TestClient) -> None:
    r = client.post("/api/audit", json={"scenario": "hanoi-2019", "proposal": "ｕs-big-deal"})
    assert r.status_code == 422 and "read as 'us-big-deal'" in _one_sentence(r)
    r = client.post("/api/solve", json={"toml": WORKED.replace('value = { b = 3 }', 'value = { b = "3 * ｂ2_detection" }')})
    assert r.status_code == 422 and "read as '3 * b2_detection'" in _one_sentence(r)


def test_a_toml_bomb_posted_twice_at_once_stays_small(tmp_path: Path) -> None:
    script = tmp_path / "bomb.py"
    script.write_text(f"""
import json, threading
from fastapi.testclient import TestClient
from detente.web.app import create_app
from detente.web.limits import Limits
bomb = "a." * 120_000 + "b = 1"  # 240 kB, under the body cap
out = []
with TestClient(create_app(Limits(workers=2), None, warm=False), base_url="{LOCAL}") as c:
    def post():
        r = c.post("/api/describe", json={{"toml": bomb}})
        out.append((r.status_code, r.json()["detail"]))
    threads = [threading.Thread(target=post) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
print(json.dumps(out))
""")
    out = measured([sys.executable, str(script)], timeout=120)
    assert out.code == 0, out.stderr[-3000:]
    answers = json.loads(out.stdout)
    assert [a[0] for a in answers] == [422, 422]
    assert all("dotted parts" in a[1] for a in answers)
    assert out.peak_mb < 1500, out.peak_mb  # 5.7 GB a request before the screen


def test_a_misnamed_host_is_refused(client: TestClient) -> None:
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil.example"):
        r = client.get("/api/health", headers={"host": host})
        assert r.status_code == 400 and "is not a name of this server" in _one_sentence(r), host
    for host in ("127.0.0.1:8000", "localhost", "LOCALHOST:1", "[::1]:8000"):
        assert client.get("/api/health", headers={"host": host}).status_code == 200, host


def test_the_live_server_checks_the_host(live_server: str) -> None:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"{live_server}/api/health", headers={"Host": "rebound.example"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 400


@pytest.mark.parametrize(
    ("job", "words"),
    [
        ({"kind": "simulate", "strategies": ["bogus"]}, "unknown strategy 'bogus'"),
        ({"kind": "sensitivity", "metrics": "bogus"}, "unknown metric 'bogus'"),
        ({"kind": "sensitivity", "samples": 3}, "power of 2"),
        ({"kind": "sensitivity", "method": "morris", "samples": 1}, "at least 2"),
    ],
)
def test_bad_job_options_are_refused_before_the_202(client: TestClient, job: dict, words: str) -> None:  # type: ignore[type-arg]
    r = client.post("/api/jobs", json={"scenario": "hanoi-2019", **job})
    assert r.status_code == 422, r.text  # was 202, then a failed job
    assert words in _one_sentence(r)
    r = client.post("/api/jobs", json={"toml": WORKED, "kind": "simulate"})
    assert r.status_code == 422 and "no [uncertainty] table" in _one_sentence(r)


def test_no_answer_names_the_store(client: TestClient, tmp_path: Path) -> None:
    r = client.get("/api/runs/zzzz")
    assert r.status_code == 404
    assert _one_sentence(r) == "no run with id 'zzzz'"
    assert "duckdb" not in r.text and "/" not in r.json()["detail"]


def _job_workers(before: set[int]) -> set[int]:
    return set(children(os.getpid())) - before


def test_a_job_is_stopped_mid_history_and_its_slot_freed(client: TestClient) -> None:
    """A history of this scenario takes seconds and a chunk of them a minute: a cancel used to
    wait for the chunk (4 minutes in the report, the worker at 13.5 GB)."""
    before = set(children(os.getpid()))
    job = client.post("/api/jobs", json={"toml": bilateral(), "kind": "simulate", "samples": 200})
    assert job.status_code == 202, job.text
    jid = job.json()["id"]
    deadline = time.monotonic() + 60
    while len(_job_workers(before)) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    workers = _job_workers(before)
    assert workers, "the job started no worker process"
    time.sleep(3.0)  # mid-history
    cancelled = time.monotonic()
    client.delete(f"/api/jobs/{jid}")
    while client.get(f"/api/jobs/{jid}").json()["status"] == "running" and time.monotonic() < cancelled + 30:
        time.sleep(0.1)
    view = client.get(f"/api/jobs/{jid}").json()
    assert view["status"] == "stopped" and view["reason"] == "cancelled"
    assert time.monotonic() - cancelled < 5.0  # not at the end of the chunk
    while set(children(os.getpid())) & workers and time.monotonic() < cancelled + 10:
        time.sleep(0.1)
    assert not set(children(os.getpid())) & workers, "the job's workers outlived it"
    # the slot is free: the next job runs to the end
    nxt = client.post("/api/jobs", json={"scenario": "hanoi-2019", "kind": "simulate", "samples": 25}).json()
    deadline = time.monotonic() + 120
    while client.get(f"/api/jobs/{nxt['id']}").json()["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.get(f"/api/jobs/{nxt['id']}").json()["status"] == "complete"


def test_a_job_past_its_budget_is_killed_at_the_budget(tmp_path: Path) -> None:
    with TestClient(create_app(Limits(workers=1, job_seconds=3.0), None, warm=False), base_url=LOCAL) as c:
        jid = c.post("/api/jobs", json={"toml": bilateral(), "kind": "simulate", "samples": 100}).json()["id"]
        started = time.monotonic()
        while c.get(f"/api/jobs/{jid}").json()["status"] in ("queued", "running") and time.monotonic() < started + 60:
            time.sleep(0.1)
        view = c.get(f"/api/jobs/{jid}").json()
        assert view["status"] == "stopped", view
        assert view["reason"] == "stopped at this server's time budget of 3 s"
        assert time.monotonic() - started < 15


def _vm_size() -> int:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmSize:"))
    return int(line.split()[1]) * 1024


def test_an_analysis_past_the_memory_limit_is_one_sentence_and_the_slot_comes_back() -> None:
    # the workers start with this process's address space: 300 MB more is plenty for
    # hanoi-2019 (about 50 MB) and far from enough for the hungry solve of 18 moves (650 MB)
    room = _vm_size() + 300 * 2**20
    app = create_app(Limits(workers=1, seconds=120, worker_memory=str(room), max_moves=18, max_transitions=50_000_000), None)
    with TestClient(app, base_url=LOCAL) as c:
        started = time.monotonic()
        r = c.post("/api/solve", json={"toml": bilateral(per_party=9)})
        assert r.status_code == 422, r.text
        detail = _one_sentence(r)
        assert "memory" in detail, detail  # not the time budget: the limit stopped it
        assert time.monotonic() - started < 120
        assert c.post("/api/solve", json={"scenario": "hanoi-2019"}).status_code == 200  # the slot is back


def _echo_app(seconds: float) -> BodySizeLimit:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"size": len(await request.body())})

    return BodySizeLimit(Starlette(routes=[Route("/", echo, methods=["POST"])]), max_bytes=1000, seconds=seconds)


@pytest.fixture
def slow_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """uvicorn configured as `detente serve` configures it, with short deadlines."""
    monkeypatch.setattr(guard, "HEAD_SECONDS", 1.0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(guard.server_config(_echo_app(1.0), "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    sock.settimeout(seconds)
    got = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return True, got
            got += chunk
    except TimeoutError:
        return False, got


def test_a_slow_head_is_cut_off(slow_server: int) -> None:
    with socket.create_connection(("127.0.0.1", slow_server)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
        closed, _ = _closed_within(sock, 5.0)
        assert closed
    with socket.create_connection(("127.0.0.1", slow_server)) as sock:  # nothing at all
        closed, _ = _closed_within(sock, 5.0)
        assert closed


def test_a_slow_body_is_a_408(slow_server: int) -> None:
    with socket.create_connection(("127.0.0.1", slow_server)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        got = b""
        sock.settimeout(5.0)
        while b"did not arrive within" not in got:
            chunk = sock.recv(4096)
            if not chunk:
                break
            got += chunk
        assert got.startswith(b"HTTP/1.1 408"), got
        assert b"did not arrive within" in got
