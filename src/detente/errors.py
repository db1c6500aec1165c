"""Errors a user can cause: each renders as one line naming the file, the key and the reason."""

from __future__ import annotations


class DetenteError(Exception):
    """Base of every error that the CLI prints as one line and exits 2 for."""


class ScenarioError(DetenteError):
    """A scenario file (or an override) is invalid.

    ``source`` is the file (or ``<string>``/library id), ``key`` the dotted key path.
    """

    def __init__(self, source: str, key: str, reason: str) -> None:
        self.source = source
        self.key = key
        self.reason = reason
        where = f"{source}: {key}" if key else source
        super().__init__(one_line(f"{where}: {reason}"))

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[str, str, str]]:
        # raised in a worker process or on a Dask worker, it must arrive whole
        return (type(self), (self.source, self.key, self.reason))


def one_line(text: str) -> str:
    """Escape line breaks, so that an error from any input prints as exactly one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class ExpressionError(DetenteError):
    """An expression over [parameters] is malformed or uses something not allowed."""


class SolverLimitError(DetenteError):
    """The problem is larger than the solver is configured to attempt."""


class ScheduleError(DetenteError):
    """A schedule given for audit is malformed (unknown move, overlap, ...)."""
