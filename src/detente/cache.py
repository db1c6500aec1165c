"""Results computed before, kept on disk so that asking again answers at once.

An entry is found by a key that names everything its result depends on: the kind of result,
the scenario's content and resolved parameters, the options, every source file of the
installed detente package, and the versions of Python and of the numeric libraries. Change
any of them — edit the scenario, pass ``--set``, upgrade numpy, edit one line of the solver —
and the key changes, so a cached result is never served for an input or a code it was not
computed from. Entries are JSON, read back through the result's pydantic model: a file that
does not parse or validate is a miss (and is removed), never an error, and never executes
anything.

Where: ``DETENTE_CACHE_DIR``, else ``$XDG_CACHE_HOME/detente/results`` (``~/.cache/...``).
``DETENTE_CACHE=off`` turns it off. When the folder cannot be made or written, or belongs to
another user or is open to others' writing, nothing is read or kept there and nothing is said. The folder keeps at most ``MAX_ENTRIES`` entries and
``MAX_BYTES`` bytes; the oldest go first.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

MAX_ENTRIES = 256
MAX_BYTES = 64 * 1024 * 1024
_LIBRARIES = ("numpy", "numba", "scipy", "pydantic")
_PACKAGE = Path(__file__).resolve().parent

T = TypeVar("T")


def enabled() -> bool:
    return os.environ.get("DETENTE_CACHE", "on").strip().lower() not in ("off", "0", "no", "false")


def folder() -> Path:
    given = os.environ.get("DETENTE_CACHE_DIR")
    if given:
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "detente" / "results"


@cache
def code_fingerprint() -> str:
    """A digest of every file of the installed package (sources and the scenario library) and
    of the versions of Python and of the libraries the numbers come from."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        data = path.read_bytes()
        h.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    h.update(sys.version.encode())
    for name in _LIBRARIES:
        try:
            h.update(f"{name}={version(name)}".encode())
        except PackageNotFoundError:
            h.update(f"{name}=absent".encode())
    return h.hexdigest()


def key(kind: str, parts: object) -> str:
    """The entry's name: ``parts`` must be JSON (what the result depends on besides the code)."""
    text = json.dumps([kind, parts, code_fingerprint()], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def cached(
    kind: str,
    parts: object,
    result_type: type[T],
    compute: Callable[[], T],
    use: bool = True,
    on_hit: Callable[[], None] | None = None,
) -> T:
    """The result for ``parts``: read from the cache if it is there (then ``on_hit`` is
    called), else computed and kept. ``result_type`` is a pydantic model, or a type pydantic
    can validate (``Model | str | None``)."""
    if not (use and enabled()):
        return compute()
    adapter: TypeAdapter[T] = TypeAdapter(result_type)
    name = key(kind, parts)
    found = _read(name, adapter)
    if found is not None:
        if on_hit is not None:
            on_hit()
        return found[0]
    result = compute()
    _write(name, adapter.dump_json(result))
    return result


def _private(where: Path) -> bool:
    """Whether only this user could have written the folder's entries: another user's folder,
    or one others may write to, could hold results nobody computed."""
    if not hasattr(os, "getuid"):
        return True
    try:
        info = where.stat()
    except OSError:
        return False
    return info.st_uid == os.getuid() and not info.st_mode & 0o022


def _read(name: str, adapter: TypeAdapter[T]) -> tuple[T] | None:
    where = folder()
    if not _private(where):
        return None
    path = where / f"{name}.json"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        found = (adapter.validate_json(data),)
    except (ValidationError, ValueError):
        path.unlink(missing_ok=True)  # damaged, or written by hand
        return None
    try:
        os.utime(path)  # recently used: pruned last
    except OSError:
        pass
    return found


def _write(name: str, data: bytes) -> None:
    """Write atomically (a reader never sees half a file), then keep the folder bounded."""
    where = folder()
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _private(where):
            return
        fd, tmp = tempfile.mkstemp(dir=where, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, where / f"{name}.json")
        _prune(where)
    except OSError:
        return


def _prune(where: Path) -> None:
    entries = []
    for p in where.glob("*.tmp"):  # left by a writer that was killed
        try:
            if p.stat().st_mtime < time.time() - 3600:
                p.unlink(missing_ok=True)
        except OSError:
            continue
    for p in where.glob("*.json"):
        try:
            st = p.stat()
        except OSError:
            continue
        entries.append((st.st_mtime, st.st_size, p))
    entries.sort(reverse=True)
    total = 0
    for i, (_, size, p) in enumerate(entries):
        total += size
        if i >= MAX_ENTRIES or total > MAX_BYTES:
            p.unlink(missing_ok=True)


def clear() -> int:
    """Remove every entry; how many were removed."""
    n = 0
    for p in folder().glob("*.json"):
        p.unlink(missing_ok=True)
        n += 1
    return n


__all__ = ["cached", "clear", "code_fingerprint", "enabled", "folder", "key"]
