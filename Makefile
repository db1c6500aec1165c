# Conveniences over dev.py, which is what the README and CI use.
PYTHON ?= python3

.PHONY: run test bench
run:
	$(PYTHON) dev.py run
test:
	$(PYTHON) dev.py test
bench:
	.venv/bin/python benchmarks/bench_solver.py
