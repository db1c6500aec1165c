"""Where numba keeps the compiled kernels, chosen before numba is imported.

The kernels are compiled with ``cache=True``: numba writes them next to the sources, else in
the user's cache directory, and fails at import when it can write to neither (a read-only
install run by a service account or in a read-only container with an unwritable home).
Then the cache goes to a private directory under the temporary directory, and when none can
be made, the kernels are compiled at each run without a cache. Nothing is printed unless
``DETENTE_DEBUG`` is set.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

_SOLVERS = Path(__file__).resolve().parent / "solvers"


def _writable(folder: Path) -> bool:
    """Whether numba could write its cache here (it makes the folder and a file in it)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def _user_cache() -> Path:
    """numba's own fallback: the user's cache directory (as its appdirs finds it)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "numba"


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


def configure() -> None:
    """Pick the kernels' cache (see the module); a user's NUMBA_CACHE_DIR is left alone."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    if _writable(_SOLVERS / "__pycache__"):
        return
    if _writable(_user_cache()):
        _debug(f"{_SOLVERS} is read-only: compiled kernels are cached in numba's user cache directory")
        return
    folder = _private_temp()
    if folder is None:
        _debug("no writable cache directory: the kernels are compiled at each run")
        _without_cache()
        return
    _debug(f"{_SOLVERS} and the user cache are read-only: compiled kernels are cached in {folder}")
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    if "numba" in sys.modules:  # imported already: its configuration was read
        from numba.core import config

        setattr(config, "CACHE_DIR", str(folder))  # noqa: B010


configure()
