"""Read scenario files (or library ids) into :class:`Scenario` objects.

All I/O for scenarios lives here; every failure becomes one :class:`ScenarioError` naming the
file, the key path and the reason (docs/model.md, "Scenario files").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from detente.errors import ScenarioError
from detente.scenario import library, screen
from detente.scenario.model import Scenario
from detente.scenario.resolve import resolve
from detente.scenario.schema import ScenarioSpec

MAX_FILE_BYTES = 1_000_000


def read_source(source: str | Path) -> tuple[str, bytes]:
    """Return (display name, bytes) for a library id or a file path."""
    text = str(source)
    if not isinstance(source, Path) and library.has(text):
        return text, library.read_bytes(text)
    if not isinstance(source, Path) and library.has_case(text):
        return text, library.read_case(text)
    path = Path(text)
    if not path.exists():
        known = ", ".join(library.ids())
        raise ScenarioError(text, "", f"no such file or library scenario (library: {known})")
    if path.is_dir():
        raise ScenarioError(text, "", "is a directory, not a scenario file")
    if not path.is_file():
        raise ScenarioError(text, "", "not a regular file (a pipe or a device?)")
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(text, "", f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(text, "", f"file is larger than the limit of {MAX_FILE_BYTES} bytes")
    return text, data


def parse_spec(data: bytes, origin: str) -> ScenarioSpec:
    """Parse TOML bytes into a shape-checked :class:`ScenarioSpec`."""
    raw = parse_toml(data, origin)
    return validate_spec(raw, origin)


def parse_toml(data: bytes, origin: str) -> dict[str, Any]:
    if not data.strip():
        raise ScenarioError(
            origin, "", "the file is empty; a scenario needs [scenario], [[parties]] and [[moves]]"
        )
    return screen.loads(data, origin)  # bounded before the TOML parser sees it


def validate_spec(raw: Mapping[str, Any], origin: str) -> ScenarioSpec:
    try:
        return ScenarioSpec.model_validate(raw)
    except ValidationError as exc:
        raise _translate(exc, raw, origin) from None


def load(
    source: str | Path,
    overrides: Mapping[str, float] | None = None,
) -> Scenario:
    """Load a library scenario by id, or a scenario file by path, and resolve it."""
    origin, data = read_source(source)
    return load_bytes(data, origin, overrides)


def load_bytes(
    data: bytes, origin: str = "<string>", overrides: Mapping[str, float] | None = None
) -> Scenario:
    spec = parse_spec(data, origin)
    digest = hashlib.sha256(data).hexdigest()
    return resolve(spec, origin, overrides, content_hash=digest)


def parse_overrides(items: list[str] | None) -> dict[str, float]:
    """Parse ``--set name=value`` items; the value must be a number."""
    result: dict[str, float] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        screen.plain_argument("--set", name)
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise ScenarioError("--set", item, "expected name=value, e.g. --set leakage=0.5")
        result[name] = screen.decimal("--set", name, value)
    return result


_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
}


def _translate(exc: ValidationError, raw: Mapping[str, Any], origin: str) -> ScenarioError:
    """One line for the first error: the key path (ids where known) and the reason."""
    errors = exc.errors()
    # Union members (float | str) each report an error; merge them into one reason.
    first = errors[0]
    path = _key_path(first["loc"], raw)
    same = [e for e in errors if _key_path(e["loc"], raw) == path]
    too_long = [e for e in same if e["type"] == "string_too_long"]
    if too_long:
        limit = too_long[0].get("ctx", {}).get("max_length")
        reason = f"text longer than {limit} characters"
    elif len(same) > 1 and all(
        e["type"] in {"float_type", "float_parsing", "string_type", "int_type", "bool_type"}
        for e in same
    ):
        reason = "expected a number or an expression string"
    else:
        reason = _MESSAGES.get(first["type"], first["msg"])
        if (
            first["type"] not in _MESSAGES
            and "input" in first
            and not isinstance(first["input"], dict | list)
        ):
            reason = f"{reason} (got {first['input']!r})"
    others = len({_key_path(e["loc"], raw) for e in errors}) - 1
    if others > 0:
        reason += f" (and {others} more {'error' if others == 1 else 'errors'})"
    return ScenarioError(origin, path, reason)


def _key_path(loc: tuple[int | str, ...], raw: Mapping[str, Any]) -> str:
    parts: list[str] = []
    node: Any = raw
    for item in loc:
        if isinstance(node, dict) and isinstance(item, str) and item in node:
            parts.append(item)
            node = node[item]
        elif isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            element = node[item]
            ident = element.get("id") if isinstance(element, dict) else None
            label = ident if isinstance(ident, str) and ident else str(item + 1)
            if parts:
                parts[-1] = f"{parts[-1]}[{label}]"
            node = element
        elif isinstance(node, dict) and isinstance(item, str) and node.get("dist") == item:
            continue  # a distribution's tag (docs/model.md, "Summit versus working level"), not a key of the file
        elif isinstance(node, dict) and isinstance(item, str):
            parts.append(item)  # a missing or unknown key
            node = None
        # anything else is a union member's tag: not part of the user's key path
    return ".".join(parts)
