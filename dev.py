#!/usr/bin/env python3
"""The project's two entry points, runnable with nothing but Python 3.11+ and pip.

    python3 dev.py run [ARGS...]   create .venv if missing, install detente, run `detente run`
    python3 dev.py test [ARGS...]  install the test dependencies, then ruff, mypy and pytest

CI runs `python3 dev.py test`, exactly as a developer does.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _sh(*args: str | Path) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    result = subprocess.run([str(a) for a in args], cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


def _stamp(extra: str) -> str:
    """What the install depends on: the project's metadata and the extras asked for. The install
    is editable, so the sources themselves never need it again."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(extra.encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def _ensure_venv(extra: str = "") -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may be run by an older python3)
        sys.exit("detente needs Python 3.11 or newer")
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp_file = VENV / f"detente-installed{extra.replace('[', '-').replace(']', '')}.sha256"
    stamp = _stamp(extra)
    if stamp_file.exists() and stamp_file.read_text().strip() == stamp and (BIN / "detente").exists():
        return  # installed from this very pyproject.toml: nothing to do
    target = f".{extra}" if extra else "."
    _sh(BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target)
    stamp_file.write_text(stamp + "\n")


def run(args: list[str]) -> None:
    _ensure_venv()
    _sh(BIN / "detente", "run", *args)


def test(args: list[str]) -> None:
    _ensure_venv("[test]")
    _sh(BIN / "ruff", "check", ".")
    _sh(BIN / "mypy")
    _sh(BIN / "python", "-m", "pytest", *args)


def main() -> None:
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
