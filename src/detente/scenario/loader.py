"""Read scenario files (or library ids) into :class:`Scenario` objects.

All I/O for scenarios lives here; every failure becomes one :class:`ScenarioError` naming the
file, the key path and the reason (docs/model.md, "Scenario files").
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ValidationError

from detente.errors import ScenarioError
from detente.scenario import library, references, screen
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
    overrides: Mapping[str, float | bool] | None = None,
) -> Scenario:
    """Load a library scenario by id, or a scenario file by path, and resolve it."""
    origin, data = read_source(source)
    return load_bytes(data, origin, overrides)


Override = float | bool


def load_bytes(
    data: bytes, origin: str = "<string>", overrides: Mapping[str, Override] | None = None
) -> Scenario:
    """Parse and resolve; ``overrides`` map parameter names to numbers, and dotted paths to a
    field of the file (``moves.icbm-dismantle.reversal_lag``, ``parties.dprk.discount``,
    ``solver.max_stages``) to a number or a boolean, validated like the file itself."""
    params = {k: v for k, v in (overrides or {}).items() if "." not in k}
    fields = {k: v for k, v in (overrides or {}).items() if "." in k}
    raw = parse_toml(data, origin)
    for path, value in fields.items():
        _set_field(raw, path, value, origin)
    spec = validate_spec(raw, origin)
    digest = hashlib.sha256(data).hexdigest()
    if fields:  # the result is not the file's content: say so in its hash
        extra = ";".join(f"{k}={v!r}" for k, v in sorted(fields.items()))
        digest = hashlib.sha256(data + b"\0" + extra.encode()).hexdigest()
    for name, value in params.items():
        if isinstance(value, bool):
            raise ScenarioError(origin, f"overrides.{name}", "a parameter takes a number, not true or false")
    return resolve(spec, origin, {k: float(v) for k, v in params.items()}, content_hash=digest)


_SECTIONS = ("parties", "moves", "proposals", "types", "events", "signals", "clusters")
_TABLES = ("scenario", "solver", "bargaining", "uncertainty")


def _set_field(raw: dict[str, Any], path: str, value: Override, origin: str) -> None:
    """Set one field of the raw file: ``SECTION.ID.FIELD`` in an array of tables (by its id)
    or ``TABLE.FIELD``; the field must be one the file format knows (checked by validation)."""
    parts = path.split(".")
    key = f"overrides.{path}"
    if len(parts) == 3 and parts[0] in _SECTIONS:
        section, ident, field = parts
        items = raw.get(section)
        entries = [e for e in items if isinstance(e, dict) and e.get("id") == ident] if isinstance(items, list) else []
        if not entries:
            known = ", ".join(str(e.get("id")) for e in items if isinstance(e, dict)) if isinstance(items, list) else "none"
            raise ScenarioError(origin, key, f"no {section} entry with id {ident!r} (known: {known or 'none'})")
        target = entries[0]
    elif len(parts) == 2 and parts[0] in _TABLES:
        section, field = parts
        table = raw.setdefault(section, {})
        if not isinstance(table, dict):
            raise ScenarioError(origin, key, f"[{section}] is not a table")
        target = table
    else:
        raise ScenarioError(
            origin,
            key,
            "expected a parameter name or a field path: SECTION.ID.FIELD "
            f"(SECTION one of {', '.join(_SECTIONS)}) or TABLE.FIELD (TABLE one of {', '.join(_TABLES)})",
        )
    if field in ("id", "owner", "label", "note", "notes", "sources", "source"):
        raise ScenarioError(origin, key, f"{field} is not a number or a boolean field")
    target[field] = value


def parse_overrides(items: list[str] | None) -> dict[str, Override]:
    """Parse ``--set name=value`` items: a parameter takes a number; a field path
    (``moves.ID.FIELD``, ``solver.FIELD``) a number or true/false."""
    result: dict[str, Override] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        name = name.strip()
        screen.plain_argument("--set", name)
        is_path = re.fullmatch(r"[a-z_]+(\.[a-z0-9][a-z0-9-]*)?\.[a-z_]+", name) is not None
        if not sep or not (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or is_path):
            raise ScenarioError("--set", item, "expected name=value, e.g. --set leakage=0.5 or --set moves.a1.reversal_lag=2")
        text = value.strip()
        if is_path and text in ("true", "false"):
            result[name] = text == "true"
            continue
        number = screen.decimal("--set", name, value)
        result[name] = int(number) if is_path and number.is_integer() and re.fullmatch(r"-?\d+", text) else number
    return result


_MESSAGES = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
}
_NUMBER_OR_TEXT = {"float_type", "float_parsing", "string_type", "int_type", "bool_type"}


def _translate(exc: ValidationError, raw: Mapping[str, Any], origin: str) -> ScenarioError:
    """Every structure error, one per key path (the key path with ids where known, and the
    reason), and the ids the file refers to in vain: one error listing them all."""
    paths: dict[str, list[Any]] = {}
    for e in exc.errors():  # union members (float | str) each report an error: one reason per key
        paths.setdefault(_key_path(e["loc"], raw), []).append(e)
    problems: list[tuple[str, str]] = []
    meant: set[str] = set()  # a misspelt key leaves the key it meant missing: one error, not two
    for path, same in paths.items():
        reason = _reason(same)
        first = same[0]
        word = first["loc"][-1] if first["loc"] else None
        if first["type"] == "extra_forbidden" and isinstance(word, str):
            close = difflib.get_close_matches(word, _known_keys(first["loc"]), n=1, cutoff=0.6)
            if close:
                reason += f" (did you mean {close[0]!r}?)"
                meant.add(".".join([*path.split(".")[:-1], close[0]]))
        problems.append((path, reason))
    problems = [(k, r) for k, r in problems if not (r == _MESSAGES["missing"] and k in meant)]
    keys = {k for k, _ in problems}
    problems += [(k, r) for k, r in references.problems(raw) if k not in keys]
    return ScenarioError.of(origin, problems)


def _reason(same: list[Any]) -> str:
    """The reason for the errors at one key path."""
    first = same[0]
    too_long = [e for e in same if e["type"] == "string_too_long"]
    if too_long:
        return f"text longer than {too_long[0].get('ctx', {}).get('max_length')} characters"
    if len(same) > 1 and all(e["type"] in _NUMBER_OR_TEXT for e in same):
        return "expected a number or an expression string"
    reason: str = _MESSAGES.get(first["type"], first["msg"])
    if first["type"] not in _MESSAGES and "input" in first and not isinstance(first["input"], dict | list):
        reason = f"{reason} (got {first['input']!r})"
    return reason


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the file format takes where ``loc`` (an unknown key's location) lies."""
    node: Any = ScenarioSpec
    for item in loc[:-1]:
        node = _inside(node, item)
        if node is None:
            return []
    model = _model(node)
    return list(model.model_fields) if model is not None else []


def _model(tp: Any) -> type[BaseModel] | None:
    """The model a field's type holds (through ``Annotated`` and ``X | None``)."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    members = [_model(a) for a in get_args(tp) if a is not type(None)] if get_origin(tp) in (Union, UnionType) else []
    found = [m for m in members if m is not None]
    return found[0] if len(found) == 1 else None


def _inside(tp: Any, item: int | str) -> Any:
    """The type one step of an error's location leads to: a model's field, a list's item,
    a mapping's value, or (a union's tag) the member it names."""
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    model = _model(tp)
    if model is not None:
        if not isinstance(item, str):
            return None
        if item in model.model_fields:
            return model.model_fields[item].annotation
        if model.model_config.get("extra") == "allow":  # [uncertainty]: a parameter's distribution
            return get_args(get_type_hints(model, include_extras=True).get("__pydantic_extra__"))[1]
        return None
    origin = get_origin(tp)
    if origin in (Union, UnionType):
        for member in get_args(tp):
            m = _model(member)
            if m is not None and any(get_args(f.annotation) == (item,) for f in m.model_fields.values()):
                return m  # the tag of a discriminated union
        return None
    if origin is list:
        return get_args(tp)[0] if isinstance(item, int) else None
    if origin is dict:
        return get_args(tp)[1]
    return None


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
