"""Errors a user can cause: each renders as one line naming the file, the key and the reason."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

Problem = tuple[str, str]  # (key, reason): one thing wrong with a source


class DetenteError(Exception):
    """Base of every error that the CLI prints as one line and exits 2 for."""


class ScenarioError(DetenteError):
    """A scenario file (or an override, or an argument) is invalid.

    ``source`` is the file (or ``<string>``/library id), ``key`` the dotted key path (or the
    name of the Python parameter at fault), ``reason`` what is wrong with it. A file with
    several problems found at once lists them all in ``problems``, as (key, reason) pairs,
    the first being ``(key, reason)``; ``str(exc)`` is the first, with how many more there are.
    """

    def __init__(self, source: str, key: str, reason: str, problems: Sequence[Problem] = ()) -> None:
        self.source = source
        self.key = key
        self.reason = reason
        self.problems: list[Problem] = list(problems) if problems else [(key, reason)]
        more = len(self.problems) - 1
        tail = f" (and {more} more {'error' if more == 1 else 'errors'})" if more > 0 else ""
        super().__init__(self.line(key, reason) + one_line(tail))

    @classmethod
    def of(cls, source: str, problems: Sequence[Problem]) -> ScenarioError:
        """One error for every problem of ``source`` (at least one)."""
        key, reason = problems[0]
        return cls(source, key, reason, problems)

    def line(self, key: str, reason: str) -> str:
        """One problem of this source as one line: ``source: key: reason``."""
        return one_line(": ".join(part for part in (self.source, key, reason) if part))

    def lines(self) -> list[str]:
        """Every problem, one line each."""
        return [self.line(k, r) for k, r in self.problems]

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[str, str, str, list[Problem]]]:
        # raised in a worker process or on a Dask worker, it must arrive whole
        return (type(self), (self.source, self.key, self.reason, self.problems))


def one_line(text: str) -> str:
    """Escape line breaks, so that an error from any input prints as exactly one line."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'discount'?)`` when ``word`` is close to one of ``known``, else ``""``."""
    close = difflib.get_close_matches(word, [k for k in known if k != word], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class ExpressionError(DetenteError):
    """An expression over [parameters] is malformed or uses something not allowed."""


class SolverLimitError(DetenteError):
    """The problem is larger than the solver is configured to attempt."""


class ScheduleError(ScenarioError):
    """A schedule given for audit is malformed (unknown move, overlap, ...): ``key`` is the
    parameter (``stages``, ``proposal``) or the proposal (``proposals[ID]``) that holds it."""
