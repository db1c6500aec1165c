"""Simulation throughput: writes the simulate section of benchmarks/RESULTS.md.

    python benchmarks/bench_simulate.py [--samples N]

Histories of hanoi-2019 under the four default strategies, with 1 and 2 local worker processes
on the same seed, in one process run (the ratio is the parallel speed-up), plus the DP solves a
second (one per summit) and peak memory for two sample sizes (flat in N: tallies, not lists).
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_solver import machine  # noqa: E402

import detente  # noqa: E402
from detente.uncertainty.simulate import run  # noqa: E402

BEGIN, END = "<!-- simulate:begin -->", "<!-- simulate:end -->"


def peak_mb(samples: int) -> float:
    code = (
        "import detente; from detente.uncertainty.simulate import run; "
        f"run(detente.load('hanoi-2019'), {samples}, seed=3, workers=1)"
        "; print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=400)
    args = parser.parse_args()
    sc = detente.load("hanoi-2019")
    run(sc, 4, seed=0, workers=1)  # warm the compiled kernels
    rows = []
    results = {}
    for workers in (1, 2):
        t = time.perf_counter()
        r = run(sc, args.samples, seed=5, workers=workers)
        secs = time.perf_counter() - t
        results[workers] = r
        histories = args.samples * len(r.strategies)
        summits = sum(s.summits * s.histories for s in r.strategies)
        rows.append((workers, secs, histories / secs, summits / secs))
    same = results[1].model_dump(exclude={"seconds", "workers"}) == results[2].model_dump(exclude={"seconds", "workers"})
    speedup = rows[0][1] / rows[1][1]
    per_history = rows[0][1] / (args.samples * 4)
    target_s = 10_000 * 4 * per_history / speedup  # on 2 workers, at the measured speed-up
    m_small, m_large = peak_mb(50), peak_mb(200)
    lines = [
        BEGIN,
        "## Simulation (issue: uncertainty at scale)",
        "",
        f"- Machine: {machine()}",
        f"- Date: {datetime.date.today().isoformat()}; hanoi-2019, {args.samples} histories × 4 strategies, seed 5",
        "- Target: 10,000 histories × 4 strategies in under 2 minutes on 2 cores; parallel efficiency above 80%.",
        "",
        "| local workers | seconds | histories / s | DP solves / s |",
        "|---|---|---|---|",
        *[f"| {w} | {s:.1f} | {h:.1f} | {d:.1f} |" for w, s, h, d in rows],
        "",
        f"- 2 workers / 1 worker: {speedup:.2f}x speed-up, parallel efficiency {speedup / 2:.0%}; "
        f"identical results: {'yes' if same else 'NO'}.",
        f"- One history under one strategy: {per_history * 1000:.0f} ms of one core; 10,000 × 4 on 2 cores "
        f"would take about {target_s / 60:.0f} minutes: target {'met' if target_s < 120 else 'missed'}.",
        f"- Peak memory, 50 and 200 histories (one worker, fresh process): {m_small:.0f} MB and {m_large:.0f} MB.",
        "- Dask: not measured yet (the Dask executor is not built yet).",
        "",
        END,
    ]
    section = "\n".join(lines)
    path = HERE / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
    print(section)


if __name__ == "__main__":
    main()
