"""The solver as it was at commit 99c9c35 (before branch and bound), frozen for benchmarks.

benchmarks/bench_solver.py times it next to the current solver in the same run, so that the
ratios in RESULTS.md compare like with like. Nothing in src/ or tests/ imports it.
"""
