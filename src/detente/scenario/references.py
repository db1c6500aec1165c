"""The ids a scenario file refers to, checked on the raw TOML (docs/model.md, "Scenario files").

:mod:`detente.scenario.resolve` checks every reference of a file whose structure is valid. When
the structure check fails, the file is never resolved; this pass finds the unknown ids of such a
file too, so that one run lists every error: a misspelt key and a misspelt move id at once.
It reads whatever shape the file has (an entry that is not a table, an id that is not text are
the structure check's to report) and words each problem as the resolver does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from detente.errors import Problem, did_you_mean

UNCERTAINTY_FIELDS = ("misperception", "working_level_gain", "summit_cooldown", "horizon", "note", "notes", "sources")


def unknown(kind: str, ident: object, known: Iterable[str]) -> str:
    """``unknown move 'b3' (did you mean 'b2'?)``: the resolver's words for an unknown id."""
    hint = did_you_mean(ident, known) if isinstance(ident, str) else ""
    return f"unknown {kind} {ident!r}{hint}"


def _entries(raw: Mapping[str, Any], section: str) -> list[tuple[str, dict[str, Any]]]:
    """The tables of an array of tables, each with its label in key paths: its id, else its
    1-based position."""
    items = raw.get(section)
    if not isinstance(items, list):
        return []
    out = []
    for i, item in enumerate(items, start=1):
        if isinstance(item, dict):
            ident = item.get("id")
            out.append((ident if isinstance(ident, str) and ident else str(i), item))
    return out


def _ids(raw: Mapping[str, Any], section: str) -> list[str]:
    return [e["id"] for _, e in _entries(raw, section) if isinstance(e.get("id"), str)]


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def problems(raw: Mapping[str, Any]) -> list[Problem]:
    """Every reference to an unknown party, move or parameter, as (key, reason)."""
    parties = _ids(raw, "parties")
    moves = _ids(raw, "moves")
    table = raw.get("parameters")
    params = [str(k) for k in table] if isinstance(table, dict) else []
    out: list[Problem] = []

    def party(key: str, ident: object) -> None:
        if isinstance(ident, str) and ident not in parties:
            out.append((key, unknown("party", ident, parties)))

    def move(key: str, ident: object) -> None:
        if isinstance(ident, str) and ident not in moves:
            out.append((key, unknown("move", ident, moves)))

    for name, p in (table or {}).items() if isinstance(table, dict) else ():
        if isinstance(p, dict) and p.get("owner") is not None:
            party(f"parameters.{name}.owner", p.get("owner"))
    for label, m in _entries(raw, "moves"):
        key = f"moves[{label}]"
        party(f"{key}.owner", m.get("owner"))
        for pid in m.get("value", {}) if isinstance(m.get("value"), dict) else ():
            party(f"{key}.value.{pid}", pid)
        for mid in m.get("verifiability_with", {}) if isinstance(m.get("verifiability_with"), dict) else ():
            move(f"{key}.verifiability_with.{mid}", mid)
        for mid in _strings(m.get("requires")):
            move(f"{key}.requires", mid)
    header = raw.get("scenario")
    for mid in _strings(header.get("initial")) if isinstance(header, dict) else ():
        move("scenario.initial", mid)
    for label, p in _entries(raw, "proposals"):
        key = f"proposals[{label}]"
        if p.get("by") is not None:
            party(f"{key}.by", p.get("by"))
        stages = p.get("stages")
        for k, stage in enumerate(stages if isinstance(stages, list) else [], start=1):
            for mid in _strings(stage):
                move(f"{key}.stages[{k}]", mid)
    for _, t in _entries(raw, "types"):
        key = f"types[{t.get('party')}.{t.get('id')}]"
        party(f"{key}.party", t.get("party"))
        for name in t.get("parameters", {}) if isinstance(t.get("parameters"), dict) else ():
            if name not in params:
                out.append((f"{key}.parameters.{name}", "unknown parameter" + did_you_mean(str(name), params)))
    bargaining = raw.get("bargaining")
    if isinstance(bargaining, dict) and isinstance(bargaining.get("proposer"), str) and bargaining["proposer"] not in parties:
        out.append(("bargaining.proposer", f"{unknown('party', bargaining['proposer'], parties)} (one of {', '.join(parties)})"))
    for i, o in enumerate(raw.get("outcomes", []) if isinstance(raw.get("outcomes"), list) else [], start=1):
        if isinstance(o, dict):
            for mid in _strings(o.get("moves")):
                move(f"outcomes[{i}].moves", mid)
            for pid in _strings(o.get("by")):
                party(f"outcomes[{i}].by", pid)
    uncertainty = raw.get("uncertainty")
    for name in uncertainty if isinstance(uncertainty, dict) else ():
        if name not in UNCERTAINTY_FIELDS and name not in params:
            known = ", ".join(sorted(params)) or "none"
            out.append((f"uncertainty.{name}", f"unknown parameter{did_you_mean(str(name), params)} (known: {known})"))
    return list(dict.fromkeys(out))


__all__ = ["problems", "unknown"]
