"""Solver benchmarks: writes the solver section of benchmarks/RESULTS.md.

    python benchmarks/bench_solver.py [--quick]

Times are medians of repeated runs in one process after a warm-up (the numba kernel is
compiled or loaded from its cache first). The DP is compared with the brute-force oracle of
tests/oracle.py on the same scenarios, as a ratio. Peak memory is measured in a fresh process.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from random_scenarios import random_scenario  # noqa: E402
from results import write_section  # noqa: E402

import detente  # noqa: E402
from detente.model.game import compile_game  # noqa: E402
from detente.solvers.dp import solve_game  # noqa: E402
from oracle import oracle_solve  # noqa: E402

BEGIN, END = "<!-- solver:begin -->", "<!-- solver:end -->"


def _time(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.platform()}; {cpu}; {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"numpy {np.__version__}; numba {numba.__version__}"
    )


def peak_memory(n_free: int, seed: int) -> tuple[float, float]:
    """Peak RSS (MB) of a fresh process that solves, and of one that only imports detente.

    Each child reports its own high-water mark (VmHWM, per address space, so it starts afresh at
    exec); the parent's getrusage(RUSAGE_CHILDREN) would include the parent's own pages, which
    a forked child inherits before exec.
    """
    report = (
        "; print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    code_solve = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); from random_scenarios import random_scenario; "
        "from detente.model.game import compile_game; from detente.solvers.dp import solve_game; "
        f"solve_game(compile_game(random_scenario({n_free}, {seed})))" + report
    )
    code_base = "import detente.solvers.dp" + report
    peaks = []
    for code in (code_solve, code_base):
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
        peaks.append(int(out.stdout.strip().splitlines()[-1]) / 1024)
    return peaks[0], peaks[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a reduced set (about 30 s)")
    args = parser.parse_args()
    quick = args.quick
    lines = [BEGIN, "## Solver (issue: the core solver)", ""]
    lines.append(f"- Machine: {machine()}")
    lines.append(f"- Date: {datetime.date.today().isoformat()}; mode: {'quick' if quick else 'full'}")
    lines.append("- Targets: hanoi-2019 under 1 s; 16 free moves with max_stage_moves 2 under 10 s and 1 GB.")
    lines.append("")

    warm = compile_game(random_scenario(6, 0))
    solve_game(warm)  # compile or load the kernel

    # hanoi-2019
    scenario = detente.load("hanoi-2019")
    g = compile_game(scenario)
    times = _time(lambda: solve_game(g), 5)
    hanoi = statistics.median(times)
    full = _time(lambda: detente.analyse(scenario), 3)
    lines += [
        "### hanoi-2019",
        "",
        "| what | median s | free moves | target | met |",
        "|---|---|---|---|---|",
        f"| exact DP (one solve) | {hanoi:.3f} | {g.n_free} | < 1 s | {'yes' if hanoi < 1 else 'no'} |",
        f"| `detente run` analysis (two solves, audits) | {statistics.median(full):.3f} | {g.n_free} | | |",
        "",
    ]

    # random scenarios
    sizes = [8, 10, 12] if quick else [8, 10, 12, 14, 16]
    lines += [
        "### Random two-party scenarios (max_stage_moves 2, max_stages 8)",
        "",
        "| free moves | seeds | median s | min s | max s | transitions | candidates | frontier entries | 1 worker / 2 workers |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    sixteen = None
    for n in sizes:
        seeds = [1] if n >= 16 else [1, 2, 3]
        secs, trans, cands, ents, ratios = [], [], [], [], []
        for seed in seeds:
            gg = compile_game(random_scenario(n, seed))
            one = _time(lambda gg=gg: solve_game(gg, workers=1), 1)[0]
            t = time.perf_counter()
            r = solve_game(gg, workers=2)
            two = time.perf_counter() - t
            secs.append(two)
            ratios.append(one / two)
            trans.append(r.transitions)
            cands.append(r.candidates)
            ents.append(r.entries)
        if n == 16:
            sixteen = statistics.median(secs)
        lines.append(
            f"| {n} | {len(seeds)} | {statistics.median(secs):.2f} | {min(secs):.2f} | {max(secs):.2f} | "
            f"{int(np.median(trans)):,} | {int(np.median(cands)):,} | {int(np.median(ents)):,} | "
            f"{statistics.median(ratios):.2f}x |"
        )
    lines.append("")

    # DP against the brute-force oracle
    lines += [
        "### Exact DP against the brute-force oracle (same scenarios, same process)",
        "",
        "| free moves | seed | schedules enumerated | oracle s | DP s | oracle / DP | same answer |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in ([6] if quick else [7, 8]):
        gg = compile_game(random_scenario(n, 1, n_initial=0))
        t = time.perf_counter()
        o = oracle_solve(gg)
        t_oracle = time.perf_counter() - t
        t_dp = statistics.median(_time(lambda gg=gg: solve_game(gg, workers=1), 5))
        r = solve_game(gg, workers=1)
        same = (None if r.best is None else r.best.stages) == o.stages
        if not same:
            print(f"ERROR: DP and oracle disagree at n={n}, seed=1", file=sys.stderr)
        lines.append(
            f"| {n} | 1 | {o.schedules_seen:,} | {t_oracle:.2f} | {t_dp:.4f} | {t_oracle / t_dp:,.0f}x | {'yes' if same else 'NO'} |"
        )
    lines.append("")

    if not quick:
        solve_mb, base_mb = peak_memory(16, 1)
        lines += [
            "### Peak memory (fresh process, 16 free moves, seed 1)",
            "",
            f"- peak RSS solving: {solve_mb:.0f} MB; a process that only imports detente: {base_mb:.0f} MB; "
            f"target < 1 GB: {'met' if solve_mb < 1024 else 'missed'}",
            "",
        ]
        if sixteen is not None:
            lines.append(
                f"- 16 free moves in {sixteen:.1f} s: target 10 s {'met' if sixteen < 10 else 'missed'}."
            )
            lines.append("")
    lines.append(END)
    write_section(BEGIN, END, lines)
    print(json.dumps({"hanoi_s": hanoi, "sixteen_s": sixteen}))


if __name__ == "__main__":
    main()
