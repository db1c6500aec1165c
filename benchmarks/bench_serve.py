"""Load test of ``detente serve``: writes the serve section of benchmarks/RESULTS.md.

    python benchmarks/bench_serve.py [--requests 40]

Starts the server as a user does (a subprocess on a free loopback port, 2 analysis workers),
then N concurrent clients (N = 1, 2, 4, 8, 16, 32) each POST /api/solve on hanoi-2019 until
``--requests`` per client are answered. Reports requests per second, p50 and p99 latency and
how each request was answered; the server must answer every request (a 429 when more than
its 16 pending analyses are asked for is an answer) and still be healthy at the end.

The baseline is the same solve called in this process (no HTTP, no worker process): the ratio
says what serving costs, on the same machine in the same run.
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from bench_solver import machine  # noqa: E402
from results import write_section  # noqa: E402

from detente import api  # noqa: E402
from live_server import serve  # noqa: E402

BEGIN, END = "<!-- serve:begin -->", "<!-- serve:end -->"
BODY = {"scenario": "hanoi-2019"}


def client(url: str, n: int, latencies: list[float], codes: Counter[int], lock: threading.Lock) -> None:
    with httpx.Client(base_url=url, timeout=120) as http:
        for _ in range(n):
            t = time.perf_counter()
            try:
                code = http.post("/api/solve", json=BODY).status_code
            except httpx.HTTPError:
                code = 0  # no answer at all
            with lock:
                latencies.append(time.perf_counter() - t)
                codes[code] += 1


def load(url: str, clients: int, per_client: int) -> tuple[float, list[float], Counter[int]]:
    latencies: list[float] = []
    codes: Counter[int] = Counter()
    lock = threading.Lock()
    threads = [threading.Thread(target=client, args=(url, per_client, latencies, codes, lock)) for _ in range(clients)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.perf_counter() - t, latencies, codes


def pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1] if len(xs) > 1 else xs[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=40, help="requests per client")
    args = parser.parse_args()

    api.solve("hanoi-2019")  # compile once
    t = time.perf_counter()
    for _ in range(20):
        api.solve("hanoi-2019")
    in_process = 20 / (time.perf_counter() - t)

    rows = []
    with tempfile.TemporaryDirectory() as tmp, serve(Path(tmp) / "runs.duckdb") as url:
        load(url, 2, 5)  # warm both workers
        for clients in (1, 2, 4, 8, 16, 32):
            n = max(5, args.requests // max(1, clients // 4))
            seconds, latencies, codes = load(url, clients, n)
            ok = codes[200]
            rows.append((clients, n * clients, seconds, ok / seconds, pct(latencies, 50), pct(latencies, 99), codes))
            print(rows[-1], flush=True)
        healthy = httpx.get(f"{url}/api/health", timeout=10).status_code == 200

    lines = [
        BEGIN,
        "## Serving (detente serve)",
        "",
        f"- Machine: {machine()}",
        f"- Date: {datetime.date.today().isoformat()}; `detente serve` with 2 analysis workers; clients POST /api/solve on hanoi-2019",
        f"- Baseline in this process (no HTTP, no worker process): {in_process:.1f} solves/s",
        "",
        "| clients | requests | answered 200 | 429 (over 16 pending) | no answer | solves/s | ratio to in-process | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for clients, total, _seconds, rps, p50, p99, codes in rows:
        lines.append(
            f"| {clients} | {total} | {codes[200]} | {codes[429]} | {codes[0]} | {rps:.1f} | {rps / in_process:.2f} | "
            f"{p50 * 1000:.0f} | {p99 * 1000:.0f} |"
        )
    others = sorted({c for *_, codes in rows for c in codes if c not in (0, 200, 429)})
    lines += [
        "",
        f"- Every request was answered: {'yes' if all(codes[0] == 0 for *_, codes in rows) else 'NO'}; "
        f"other status codes: {others or 'none'}; the server was healthy afterwards: {'yes' if healthy else 'NO'}.",
        "- Two workers on two cores: once both workers are busy, more clients only lengthen the",
        "  queue (p50 grows with it) and solves/s stops growing; past 16 pending analyses the",
        "  server answers 429 at once instead of queueing without bound, so the 429s count as",
        "  answers but not as solves in the solves/s column.",
        "- What serving costs: compare the ratio column at 1 client. A solve through the API also",
        "  solves the game as if promises were enforceable (the `if_enforceable` benchmark), computed",
        "  once per scenario content and then cached; each request to a worker pays the HTTP round",
        "  trip, the scenario's parsing and the result's JSON on top of the solve.",
        "",
        END,
    ]
    write_section(BEGIN, END, lines)


if __name__ == "__main__":
    main()
