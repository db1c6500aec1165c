"""Where numba keeps the compiled kernels, chosen before numba is imported.

The kernels are compiled with ``cache=True``. numba checks a cached kernel against its own
source file only, not against the files it calls into or reads constants from: a kernel of
``_kernel.py`` cached before ``_common.py`` changed (an edit in a checkout, an upgrade that
keeps the old cache files) would run the old code. So the cache goes to a folder named by a
digest of every file the kernels are compiled from (``KERNEL_SOURCES``): other sources, another
folder. The folder is made next to the sources, else in the user's cache directory, else in a
private directory under the temporary directory (a read-only install run by a service account
or in a read-only container with an unwritable home); when none can be made, the kernels are
compiled at each run without a cache. A user's ``NUMBA_CACHE_DIR`` is left alone. Nothing is
printed unless ``DETENTE_DEBUG`` is set.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import sys
import tempfile
import time
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_SOLVERS = _PACKAGE / "solvers"
# the files the kernels are compiled from: the solvers, and the modules whose constants they read
KERNEL_SOURCES = ("solvers/*.py", "model/game.py", "model/stability.py")
STALE_DAYS = 7  # another digest's folder unused this long is removed


def sources_digest(package: Path = _PACKAGE) -> str:
    """A digest of the kernels' sources (their names and bytes)."""
    h = hashlib.sha256()
    for pattern in KERNEL_SOURCES:
        for path in sorted(package.glob(pattern)):
            h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _writable(folder: Path) -> bool:
    """Whether numba could write its cache here (it makes the folder and a file in it)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def _user_cache() -> Path:
    """The user's cache directory (as numba's appdirs finds it)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "detente-numba"


def _private_temp() -> Path | None:
    """A cache folder of this user's under the temporary directory, never another user's."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    folder = Path(tempfile.gettempdir()) / f"detente-numba-{uid}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    mine = stat.S_ISDIR(info.st_mode) and not stat.S_ISLNK(info.st_mode) and info.st_uid == uid
    if not mine or info.st_mode & 0o022 or not _writable(folder):
        return None  # made by someone else, or open to others: their cache files would be loaded
    return folder


def _debug(message: str) -> None:
    if os.environ.get("DETENTE_DEBUG"):
        sys.stderr.write(f"detente: {message}\n")


def _without_cache() -> None:
    """Compile the kernels at each run: ``cache=True`` becomes a no-op."""
    from numba.core.dispatcher import Dispatcher

    setattr(Dispatcher, "enable_caching", lambda self: None)  # noqa: B010 (typed numba has no stubs)


def _prune(base: Path, keep: str) -> None:
    """Remove the other digests' folders in ``base`` that nobody used for ``STALE_DAYS``."""
    try:
        old = [p for p in base.glob("kernels-*") if p.name != keep and time.time() - p.stat().st_mtime > STALE_DAYS * 86400]
    except OSError:
        return
    for path in old:
        shutil.rmtree(path, ignore_errors=True)


def _cache_folder(name: str) -> tuple[Path, Path] | None:
    """(base, base/name): the first base where the folder can be written, or None."""
    for base in (_SOLVERS / "__pycache__", _user_cache()):
        if _writable(base / name):
            return base, base / name
    private = _private_temp()
    if private is not None and _writable(private / name):
        return private, private / name
    return None


def configure() -> None:
    """Pick the kernels' cache (see the module); a user's NUMBA_CACHE_DIR is left alone."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    try:
        name = f"kernels-{sources_digest()}"
    except OSError:  # a source that cannot be read: no cache can be trusted
        name = ""
    found = _cache_folder(name) if name else None
    if found is None:
        _debug("no writable cache directory: the kernels are compiled at each run")
        _without_cache()
        return
    base, folder = found
    _debug(f"compiled kernels are cached in {folder}")
    _prune(base, name)
    try:
        os.utime(folder)  # in use: not stale
    except OSError:
        pass
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    if "numba" in sys.modules:  # imported already: its configuration was read
        from numba.core import config

        setattr(config, "CACHE_DIR", str(folder))  # noqa: B010


configure()
