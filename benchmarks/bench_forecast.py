"""SMP forecast speed: writes the forecast section of benchmarks/RESULTS.md.

    python benchmarks/bench_forecast.py

Turns a second of the model alone (``run_positions``: the numpy core, no result objects) for
KTAB's 13-actor SOE case and for random one-dimension cases of 40, 80 and 160 actors (KTAB's own
test sizes), in one process run, and the scaling exponent between sizes (time a turn ∝ N^k).
The random cases are seeded: capability U[10, 100], position U[0, 100], salience U[10, 100].
"""

from __future__ import annotations

import datetime
import math
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_solver import machine  # noqa: E402
from results import write_section  # noqa: E402

from detente.smp import read_ktab_csv  # noqa: E402
from detente.smp.model import run_positions  # noqa: E402

BEGIN, END = "<!-- forecast:begin -->", "<!-- forecast:end -->"
SOE = HERE.parent / "tests" / "data" / "ktab" / "SOE-Pol-Comp.csv"


def random_case(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cap = rng.uniform(10, 100, n)
    pos = rng.uniform(0, 100, (n, 1)) / 100
    sal = rng.uniform(10, 100, (n, 1)) / 100
    return pos, sal, cap


def per_turn(pos: np.ndarray, sal: np.ndarray, cap: np.ndarray, turns: int) -> tuple[float, int]:
    """Seconds a turn (best of 3 runs of ``turns`` turns at most), and the turns run."""
    best = math.inf
    ran = 0
    for _ in range(3):
        t = time.perf_counter()
        out = run_positions(pos, sal, cap, max_turns=turns)
        ran = len(out.turns)
        best = min(best, (time.perf_counter() - t) / ran)
    return best, ran


def main() -> None:
    soe = read_ktab_csv(SOE)
    cases = [("SOE-Pol-Comp (KTAB)", 13, 2, (soe.position, soe.salience, soe.capability))]
    for n in (40, 80, 160):
        cases.append((f"random, seed {n}", n, 1, random_case(n, n)))
    rows = []
    for name, n, d, (pos, sal, cap) in cases:
        secs, ran = per_turn(pos, sal, cap, 20)
        rows.append((name, n, d, ran, secs))
    lines = [
        BEGIN,
        "## Multi-actor forecast (KTAB's SMP)",
        "",
        f"- Machine: {machine()}",
        f"- Date: {datetime.date.today().isoformat()}; KTAB's default configuration, at most 20 turns a run, best of 3",
        "",
        "| case | actors | dimensions | turns run | ms a turn | turns / s |",
        "|---|---|---|---|---|---|",
        *[f"| {name} | {n} | {d} | {ran} | {secs * 1000:.1f} | {1 / secs:.1f} |" for name, n, d, ran, secs in rows],
        "",
    ]
    one_d = [(n, secs) for _, n, d, _, secs in rows if d == 1]
    for (n1, s1), (n2, s2) in zip(one_d, one_d[1:], strict=False):
        lines.append(f"- {n1} → {n2} actors: a turn takes {s2 / s1:.1f}x as long, N^{math.log(s2 / s1) / math.log(n2 / n1):.2f}.")
    lines += [
        "- The challenge values hold N³ terms (each third party's vote on each pair of actors), computed",
        "  as numpy arrays; up to 160 actors the measured time a turn grows about as N².",
        "",
        END,
    ]
    write_section(BEGIN, END, lines)


if __name__ == "__main__":
    main()
