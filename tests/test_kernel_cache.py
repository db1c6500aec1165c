"""The compiled kernels' cache is keyed by every file they are compiled from (docs/reference/cli.md,
the kernels' cache): numba checks a cached kernel against its own file only, so a change in a
file it calls into must move the cache elsewhere, or the old machine code would run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import detente
from detente import _numba_cache


def _copy(tmp: Path) -> Path:
    package = Path(detente.__file__).parent
    out = tmp / "detente"
    for pattern in _numba_cache.KERNEL_SOURCES:
        for path in package.glob(pattern):
            target = out / path.relative_to(package)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return out


def test_a_change_in_any_kernel_source_changes_the_cache_folder(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    before = _numba_cache.sources_digest(copy)
    assert before == _numba_cache.sources_digest(Path(detente.__file__).parent)
    for name in ("solvers/_common.py", "model/game.py", "model/stability.py"):
        path = copy / name
        text = path.read_bytes()
        path.write_bytes(text + b"\n")
        assert _numba_cache.sources_digest(copy) != before, name
        path.write_bytes(text)
    assert _numba_cache.sources_digest(copy) == before


def test_the_cache_folder_is_named_by_the_digest_and_a_users_choice_is_kept(tmp_path: Path) -> None:
    code = "import os, detente; print(os.environ.get('NUMBA_CACHE_DIR', ''))"
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).name == f"kernels-{_numba_cache.sources_digest()}"
    mine = str(tmp_path / "mine")
    out = subprocess.run([sys.executable, "-c", code], env=env | {"NUMBA_CACHE_DIR": mine}, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == mine


def test_only_other_digests_folders_unused_for_a_week_are_removed(tmp_path: Path) -> None:
    keep, recent, stale, other = (tmp_path / n for n in ("kernels-aa", "kernels-bb", "kernels-cc", "notes"))
    for folder in (keep, recent, stale, other):
        folder.mkdir()
    old = time.time() - (_numba_cache.STALE_DAYS + 1) * 86400
    for folder in (keep, stale, other):
        os.utime(folder, (old, old))
    _numba_cache._prune(tmp_path, "kernels-aa")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kernels-aa", "kernels-bb", "notes"]
