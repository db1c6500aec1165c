"""Solver benchmarks: writes the solver section of benchmarks/RESULTS.md.

    python benchmarks/bench_solver.py [--quick]

Every ratio compares the solver with the solver as it was before branch and bound (a frozen
copy in benchmarks/baseline_solver/, commit 99c9c35), measured in the same run on the same
scenarios. Small solves are timed in this process (medians of repeats after a warm-up: the
numba kernels are compiled or loaded from their cache first); large ones each in a fresh
process, which also reports its peak memory (VmHWM). Times are wall clock on a machine that
other work may share: the load average at the start and the end of the run is recorded.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numba
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from baseline_solver import dp as baseline  # noqa: E402
from baseline_solver import robust as baseline_robust  # noqa: E402
from random_scenarios import random_scenario  # noqa: E402
from results import write_section  # noqa: E402

import detente  # noqa: E402
from detente.analysis import solve as analysis  # noqa: E402
from detente.model.agents import agents  # noqa: E402
from detente.model.game import compile_game  # noqa: E402
from detente.solvers.dp import solve_game  # noqa: E402
from detente.solvers.robust import solve_robust  # noqa: E402
from oracle import oracle_solve  # noqa: E402

BEGIN, END = "<!-- solver:begin -->", "<!-- solver:end -->"
CRAFTED = HERE.parent / "tests" / "data" / "crafted-16.toml"
BIG = 10**11  # max_transitions for the benchmarks: the limit is not what is measured


def _time(fn: Callable[[], object], repeat: int) -> list[float]:
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


CHILD = """
import json, sys, time
sys.path[:0] = [{here!r}]
from random_scenarios import random_scenario
from detente.model.game import compile_game
from detente.scenario.loader import load_bytes
if {old!r}:
    from baseline_solver.dp import solve_game
else:
    from detente.solvers.dp import solve_game
solve_game(compile_game(random_scenario(6, 0)))  # load the kernels
g = compile_game({scenario})
t = time.perf_counter()
r = solve_game(g, {big})
seconds = time.perf_counter() - t
peak = int([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]) / 1024
print(json.dumps({{"seconds": seconds, "peak_mb": peak, "entries": r.entries, "candidates": r.candidates,
                  "stages": None if r.best is None else r.best.stages}}))
"""


def child(scenario: str, old: bool, cap_mb: int | None = None) -> dict[str, object]:
    """Solve in a fresh process: its time, peak memory (MB) and answer; ``cap_mb`` caps the
    address space (the old solver on an input that exhausted memory)."""
    code = CHILD.format(here=str(HERE), old=old, scenario=scenario, big=BIG)
    limit = None
    if cap_mb is not None:
        import resource

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (cap_mb << 20, cap_mb << 20))

    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=limit)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["?"])[-1]
        return {"failed": last, "seconds": time.perf_counter() - t}
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def import_only_mb() -> float:
    code = "import detente.solvers.dp; print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024


def ratio(old: float, new: float) -> str:
    return f"{old / new:,.1f}x" if new > 0 else "-"


def per_move(times: dict[int, float]) -> float:
    """The factor a solve's time grows by per added free move: exp of the least-squares slope
    of log(time) on the number of free moves."""
    xs = sorted(times)
    slope = float(np.polyfit(xs, [math.log(times[n]) for n in xs], 1)[0])
    return math.exp(slope)


def baseline_analysis(scenario: detente.Scenario) -> object:
    """``detente.solve`` as it was: the old solver for both searches (the whole frontier, the
    enforceable benchmark searched in full every time)."""
    saved = analysis.solve_game

    def old(g, limit, enforce_ic=True, enforce_stable=True, keep_frontier=True, **_):  # type: ignore[no-untyped-def]
        return baseline.solve_game(g, limit, enforce_ic=enforce_ic, enforce_stable=enforce_stable, keep_frontier=True)

    analysis.solve_game = old  # type: ignore[assignment]
    try:
        analysis._benchmarks.clear()
        return analysis.solve(scenario, frontier=True)
    finally:
        analysis.solve_game = saved


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a reduced set (a few minutes)")
    args = parser.parse_args()
    quick = args.quick
    load_start = os.getloadavg()
    lines = [BEGIN, "## Solver (the exact DP at real sizes)", ""]
    lines.append(f"- Machine: {machine()}")
    lines.append(f"- Date: {datetime.date.today().isoformat()}; mode: {'quick' if quick else 'full'}")
    lines.append(
        "- Before: the solver before branch and bound, frozen in benchmarks/baseline_solver/ "
        "(commit 99c9c35) and run in the same run; ratios are before / after."
    )
    warm = compile_game(random_scenario(6, 0))
    solve_game(warm)
    baseline.solve_game(warm)
    summary: dict[str, object] = {}

    # hanoi-2019
    scenario = detente.load("hanoi-2019")
    g = compile_game(scenario)
    dp_old = statistics.median(_time(lambda: baseline.solve_game(g), 9))
    dp_new = statistics.median(_time(lambda: solve_game(g), 9))
    full_new = statistics.median(_time(lambda: solve_game(g, full_frontier=True), 9))
    bench_old = statistics.median(_time(lambda: baseline.solve_game(g, enforce_ic=False, enforce_stable=False), 5))
    deal = solve_game(g).best
    assert deal is not None
    bench_new = statistics.median(
        _time(lambda: solve_game(g, enforce_ic=False, enforce_stable=False, keep_frontier=False, incumbent=deal.values), 9)
    )
    api_old = statistics.median(_time(lambda: baseline_analysis(scenario), 5))
    typed = agents(scenario)
    robust_old = statistics.median(_time(lambda: baseline_robust.solve_robust(g, typed, 0.25), 7))
    robust_new = statistics.median(_time(lambda: solve_robust(g, typed, 0.25), 7))

    def fresh() -> object:
        analysis._benchmarks.clear()
        return detente.solve(scenario)

    api_fresh = statistics.median(_time(fresh, 9))
    detente.solve(scenario)
    api_cached = statistics.median(_time(lambda: detente.solve(scenario), 21))
    api_off = statistics.median(_time(lambda: detente.solve(scenario, benchmark=False), 21))
    same = baseline.solve_game(g).best.stages == deal.stages  # type: ignore[union-attr]
    summary["hanoi_api_off_ms"] = api_off * 1000
    summary["hanoi_api_cached_ms"] = api_cached * 1000
    lines += [
        "",
        "### hanoi-2019 (12 free moves), in process",
        "",
        "| what | before ms | after ms | before / after | target | met |",
        "|---|---|---|---|---|---|",
        f"| the self-enforcing DP | {dp_old * 1000:.1f} | {dp_new * 1000:.1f} | {ratio(dp_old, dp_new)} | | |",
        f"| the same, whole frontier (no bound; the kernels' refactor alone) | {dp_old * 1000:.1f} | {full_new * 1000:.1f} | {ratio(dp_old, full_new)} | no slowdown | {'yes' if full_new <= dp_old * 1.1 else 'no'} |",
        f"| the type-robust DP (τ = 0.25, {len(typed)} agents; the kernels' refactor alone) | {robust_old * 1000:.1f} | {robust_new * 1000:.1f} | {ratio(robust_old, robust_new)} | no slowdown | {'yes' if robust_new <= robust_old * 1.1 else 'no'} |",
        f"| the enforceable benchmark DP | {bench_old * 1000:.1f} | {bench_new * 1000:.1f} | {ratio(bench_old, bench_new)} | | |",
        f"| `detente.solve`, benchmark off | {api_old * 1000:.1f} | {api_off * 1000:.1f} | {ratio(api_old, api_off)} | < 20 ms | {'yes' if api_off < 0.020 else 'no'} |",
        f"| `detente.solve`, benchmark cached | {api_old * 1000:.1f} | {api_cached * 1000:.1f} | {ratio(api_old, api_cached)} | < 50 ms | {'yes' if api_cached < 0.050 else 'no'} |",
        f"| `detente.solve`, benchmark computed | {api_old * 1000:.1f} | {api_fresh * 1000:.1f} | {ratio(api_old, api_fresh)} | | |",
        "",
        f"- Same schedule before and after: {'yes' if same else 'NO'}. \"Before\" for `detente.solve` is"
        " the same analysis code with the old solver for both searches (whole frontier, benchmark"
        " searched every time); after, `frontier` is empty unless asked for.",
    ]

    # random scenarios
    sizes = [10, 12, 14] if quick else [10, 12, 14, 16, 18, 20]
    old_sizes = [10, 12] if quick else [10, 12, 14, 16]
    lines += [
        "",
        "### Random two-party scenarios (max_stage_moves 2, max_stages 8; 2 threads)",
        "",
        "Up to 14 free moves in this process (median over seeds 1-3); from 16 on, each solve in a"
        " fresh process (seed 1), with its peak memory.",
        "",
        "| free moves | before s | after s | before / after | peak MB before | peak MB after | plans kept before | after | candidates before | after | same answer |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    old_t: dict[int, float] = {}
    new_t: dict[int, float] = {}
    for n in sizes:
        if n <= 14:
            seeds = [1, 2, 3]
            o_s, n_s, o_e, n_e, o_c, n_c, agree = [], [], [], [], [], [], True
            for seed in seeds:
                gg = compile_game(random_scenario(n, seed))
                t = time.perf_counter()
                rn = solve_game(gg, BIG)
                n_s.append(time.perf_counter() - t)
                n_e.append(rn.entries)
                n_c.append(rn.candidates)
                if n in old_sizes:
                    t = time.perf_counter()
                    ro = baseline.solve_game(gg)
                    o_s.append(time.perf_counter() - t)
                    o_e.append(ro.entries)
                    o_c.append(ro.candidates)
                    agree = agree and (None if ro.best is None else ro.best.stages) == (None if rn.best is None else rn.best.stages)
            new_t[n] = statistics.median(n_s)
            row_old = statistics.median(o_s) if o_s else None
            if row_old is not None:
                old_t[n] = row_old
            lines.append(
                f"| {n} | {'-' if row_old is None else f'{row_old:.3f}'} | {new_t[n]:.3f} | "
                f"{'-' if row_old is None else ratio(row_old, new_t[n])} | | | "
                f"{'-' if not o_e else f'{int(np.median(o_e)):,}'} | {int(np.median(n_e)):,} | "
                f"{'-' if not o_c else f'{int(np.median(o_c)):,}'} | {int(np.median(n_c)):,} | {'yes' if agree else 'NO'} |"
            )
            continue
        spec = f"random_scenario({n}, 1)"
        rn = child(spec, old=False)
        ro = child(spec, old=True) if n in old_sizes else None
        new_t[n] = float(rn["seconds"])  # type: ignore[arg-type]
        if ro is not None and "failed" not in ro:
            old_t[n] = float(ro["seconds"])  # type: ignore[arg-type]
        agree = ro is None or ro.get("stages") == rn.get("stages")
        summary[f"n{n}_s"] = new_t[n]
        summary[f"n{n}_mb"] = rn["peak_mb"]
        if ro is None or "failed" in ro:
            o_cols = ["-"] * 3 + ["-", "-"]
        else:
            o_cols = [
                f"{ro['seconds']:.2f}", ratio(float(ro["seconds"]), new_t[n]), f"{ro['peak_mb']:.0f}",  # type: ignore[arg-type]
                f"{ro['entries']:,}", f"{ro['candidates']:,}",
            ]
        lines.append(
            f"| {n} | {o_cols[0]} | {new_t[n]:.2f} | {o_cols[1]} | {o_cols[2]} | {rn['peak_mb']:.0f} | "
            f"{o_cols[3]} | {rn['entries']:,} | {o_cols[4]} | {rn['candidates']:,} | "
            f"{'-' if ro is None else ('yes' if agree else 'NO')} |"
        )
    lines.append("")
    lines.append(f"- A process that only imports detente peaks at {import_only_mb():.0f} MB (included above).")
    grow_old, grow_new = per_move(old_t), per_move(new_t)
    lines.append(
        f"- Time grows by a factor of {grow_old:.2f} per added free move before ({min(old_t)}-{max(old_t)} moves) "
        f"and {grow_new:.2f} after ({min(new_t)}-{max(new_t)} moves): log-linear fits of the medians above."
    )
    summary["per_move_before"], summary["per_move_after"] = grow_old, grow_new
    if not quick:
        s16, m16 = summary["n16_s"], summary["n16_mb"]
        s20, m20 = summary["n20_s"], summary["n20_mb"]
        lines.append(
            f"- 16 free moves: {s16:.1f} s and {m16:.0f} MB (targets 5 s and 500 MB: "
            f"{'met' if s16 < 5 and m16 < 500 else 'missed'}); 20 free moves: {s20:.0f} s and {m20:.0f} MB "  # type: ignore[operator]
            f"(targets 2 minutes and 2 GB: {'met' if s20 < 120 and m20 < 2048 else 'missed'}); before, 20 moves would take about "  # type: ignore[operator]
            f"{old_t[16] * grow_old**4 / 3600:.1f} hours at the factor measured (not run)."
        )

    # the crafted scenario that exhausted memory
    spec = f"load_bytes({CRAFTED.read_bytes()!r}, 'crafted-16.toml')"
    rn = child(spec, old=False)
    lines += [
        "",
        "### The crafted 16-move scenario (tests/data/crafted-16.toml: one move a party per stage, up to 32 stages)",
        "",
        f"- After: solved in {rn['seconds']:.1f} s, peak {rn['peak_mb']:.0f} MB, {rn['entries']:,} plans kept.",
    ]
    if not quick:
        ro = child(spec, old=True, cap_mb=4096)
        if "failed" in ro:
            lines.append(
                f"- Before, with its address space capped at 4 GB: `{ro['failed']}` after {ro['seconds']:.0f} s "
                "(uncapped, it was reported to reach 9.7 GB before its MemoryError)."
            )
        else:
            lines.append(f"- Before: {ro['seconds']:.1f} s, peak {ro['peak_mb']:.0f} MB.")

    # DP against the brute-force oracle
    lines += [
        "",
        "### Exact DP against the brute-force oracle (same scenarios, same process)",
        "",
        "| free moves | seed | schedules enumerated | oracle s | DP s | oracle / DP | same answer |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in [6] if quick else [7, 8]:
        gg = compile_game(random_scenario(n, 1, n_initial=0))
        t = time.perf_counter()
        o = oracle_solve(gg)
        t_oracle = time.perf_counter() - t
        t_dp = statistics.median(_time(lambda gg=gg: solve_game(gg, workers=1), 5))
        r = solve_game(gg, workers=1)
        same_o = (None if r.best is None else r.best.stages) == o.stages
        if not same_o:
            print(f"ERROR: DP and oracle disagree at n={n}, seed=1", file=sys.stderr)
        lines.append(
            f"| {n} | 1 | {o.schedules_seen:,} | {t_oracle:.2f} | {t_dp:.4f} | {t_oracle / t_dp:,.0f}x | {'yes' if same_o else 'NO'} |"
        )
    load_end = os.getloadavg()
    lines += [
        "",
        f"- Load average (1, 5, 15 min) at the start: {', '.join(f'{x:.1f}' for x in load_start)}; at the end: "
        f"{', '.join(f'{x:.1f}' for x in load_end)} (on {os.cpu_count()} cores).",
        "",
        END,
    ]
    write_section(BEGIN, END, lines)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
