"""Start-up: writes the "Start-up" section of benchmarks/RESULTS.md.

    python benchmarks/bench_startup.py [--repeat N]

Each command runs as a whole process, as a user runs it (the installed ``detente`` script, its
output thrown away), N times after one warm-up run (so numba's compiled kernels are cached and
the files are in the page cache: "warm"; for ``detente run`` the warm-up also leaves the
result in the result cache); the median is reported beside the median of ``python -c pass``
run the same way, interleaved, and their ratio. Targets: ``detente --help`` and ``detente
scenarios list`` under 0.5 s; a warm ``detente run`` under 1.5 s. ``--no-cache`` rows compute
the analysis afresh each time, for comparison.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE)]

from bench_solver import machine  # noqa: E402
from results import write_section  # noqa: E402

BEGIN, END = "<!-- startup:begin -->", "<!-- startup:end -->"
DETENTE = str(Path(sys.executable).with_name("detente"))
COMMANDS: list[tuple[str, list[str], float | None]] = [
    ("python -c pass", [sys.executable, "-c", "pass"], None),
    ("python -c 'import detente'", [sys.executable, "-c", "import detente"], None),
    ("detente --help", [DETENTE, "--help"], 0.5),
    ("detente scenarios list", [DETENTE, "scenarios", "list"], 0.5),
    ("detente run", [DETENTE, "run"], 1.5),
    ("detente run --no-cache --no-tipping", [DETENTE, "run", "--no-cache", "--no-tipping"], None),
    ("detente run --no-cache", [DETENTE, "run", "--no-cache"], None),
]


def once(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    # a run store of its own, so the user's is left alone (recording is part of a run's time)
    folder = Path(tempfile.mkdtemp(prefix="detente-bench-"))
    env = {
        **os.environ,
        "COLUMNS": "100",
        "DETENTE_STORE": str(folder / "runs.duckdb"),
        "DETENTE_CACHE_DIR": str(folder / "cache"),  # starts empty: the warm-up fills it
    }
    times: dict[str, list[float]] = {name: [] for name, _, _ in COMMANDS}
    for _, argv, _ in COMMANDS:  # warm-up: kernels compiled and cached, files read once
        once(argv, env)
    for _ in range(args.repeat):
        for name, argv, _ in COMMANDS:  # interleaved, so a slow spell hits every command alike
            times[name].append(once(argv, env))
    base = statistics.median(times["python -c pass"])
    load = os.getloadavg()[0]
    lines = [
        BEGIN,
        "## Start-up (whole processes)",
        "",
        f"- Machine: {machine()}",
        f"- Date: {datetime.date.today().isoformat()}; median of {args.repeat} warm runs each, interleaved; "
        f"load average {load:.1f} at the end",
        "",
        "| command | median s | min s | ratio to `python -c pass` | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for name, _, target in COMMANDS:
        med = statistics.median(times[name])
        lines.append(
            f"| `{name}` | {med:.3f} | {min(times[name]):.3f} | {med / base:.0f}× | "
            f"{'' if target is None else f'< {target} s'} | "
            f"{'' if target is None else ('yes' if med < target else 'no')} |"
        )
    lines += [
        "",
        "- `import detente` and the CLI's modules load no numba, scipy, pandas, plotly or SALib:",
        "  each analysis imports its engine when it runs (tests/test_api.py checks it).",
        "- A warm `detente run` reads the analysis from the result cache, kept by the warm-up run",
        "  under a key of the scenario's content, the options, every source file of the package and",
        "  the library versions (docs/reference/cli.md, \"The result cache\"); it still loads and",
        "  checks the scenario and prints the whole analysis.",
        "- `detente run --no-cache` is the whole analysis computed afresh: it loads the compiled",
        "  kernels from numba's cache, solves the game, plays the offers protocol over the solver's",
        "  candidate schedules for each proposer type and, by default, searches every parameter for",
        "  the closest tipping points (`--no-tipping` leaves that out).",
        END,
    ]
    write_section(BEGIN, END, lines)


if __name__ == "__main__":
    main()
