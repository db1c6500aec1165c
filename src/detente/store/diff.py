"""The difference of two runs, as pure functions over their records.

Results are nested JSON; flattening them to dotted key paths lets two runs be compared line by
line. Lists of records are keyed by a naming field (``strategy``, ``id``, ``name``, ``party``)
so that a strategy added or dropped does not shift every later row.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from detente.store.model import Difference, RunDiff, RunRecord

KEY_FIELDS = ("strategy", "id", "name", "party")
# differ from run to run at the same settings, so comparing them says nothing
TIMING_KEYS = frozenset({"seconds"})


def _list_keys(items: list[Any]) -> list[str]:
    """Labels for a list's items: a naming field if every item has a distinct one, else indices."""
    if items and all(isinstance(x, Mapping) for x in items):
        for field in KEY_FIELDS:
            labels = [x.get(field) for x in items]
            if all(isinstance(v, str | int) and not isinstance(v, bool) for v in labels):
                names = [str(v) for v in labels]
                if len(set(names)) == len(names):
                    return names
    return [str(i) for i in range(len(items))]


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists of records as {dotted.key[label].path: leaf value}.

    Lists of scalars are leaves, compared whole, and so is an empty list; an empty mapping has
    no keys (so ``{}`` against ``{"leakage": 0.7}`` differs in ``leakage`` alone).
    """
    out: dict[str, Any] = {}
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, list) and obj and any(isinstance(x, Mapping | list) for x in obj):
        for label, v in zip(_list_keys(obj), obj, strict=True):
            out.update(flatten(v, f"{prefix}[{label}]"))
    else:
        out[prefix] = obj
    return out


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _same(x: Any, y: Any) -> bool:
    """Equal, counting 1 equal to 1.0 and NaN equal to NaN (undefined in both runs is no difference)."""
    if _is_number(x) and _is_number(y):
        return bool(x == y) or (math.isnan(x) and math.isnan(y))
    return type(x) is type(y) and bool(x == y)


def compare(a: Mapping[str, Any], b: Mapping[str, Any], ignore: Iterable[str] = ()) -> list[Difference]:
    """The keys of two flat mappings whose values differ, in A's order then B's new keys.

    ``ignore`` names leaf keys (the last path component) to leave out.
    """
    skip = frozenset(ignore)
    out: list[Difference] = []
    for key in [*a, *(k for k in b if k not in a)]:
        if key.rsplit(".", 1)[-1] in skip:
            continue
        if key not in b:
            out.append(Difference(key=key, a=a[key], only="a"))
        elif key not in a:
            out.append(Difference(key=key, b=b[key], only="b"))
        elif not _same(a[key], b[key]):
            x, y = a[key], b[key]
            delta = float(y - x) if _is_number(x) and _is_number(y) else None
            out.append(Difference(key=key, a=x, b=y, delta=delta))
    return out


def settings_of(run: RunRecord) -> dict[str, Any]:
    """What a run was asked to do (and with which detente), flattened."""
    return flatten(
        {
            "kind": run.kind,
            "status": run.status,
            "scenario_id": run.scenario_id,
            "content_hash": run.content_hash,
            "parameters": run.parameters,
            "overrides": run.overrides,
            "seed": run.seed,
            "options": run.options,
            "version": run.version,
        }
    )


def diff_runs(a: RunRecord, b: RunRecord, timings: bool = False) -> RunDiff:
    """Settings and results that differ between runs A and B (timings left out unless asked)."""
    ignore = () if timings else TIMING_KEYS
    results_a = flatten(a.result) if a.result else {}
    results_b = flatten(b.result) if b.result else {}
    return RunDiff(
        a=a.id,
        b=b.id,
        settings=compare(settings_of(a), settings_of(b)),
        results=compare(results_a, results_b, ignore),
    )
