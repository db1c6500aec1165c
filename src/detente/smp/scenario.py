"""The TOML form of a forecast scenario: the KTAB CSV's numbers, with names, the
meaning of each dimension's ends, and a note and sources for every number, like detente's
bilateral scenarios. Parsed by pydantic (unknown keys refused), checked, and turned into the
same ``SmpInput`` a KTAB CSV gives; errors are one line naming the file and the key.

    [forecast]      id, title, description, note, sources
    [[dimensions]]  id, name, low, high (what 0 and 100 mean), note
    [[actors]]      id, name, capability, position = {dim = 0..100}, salience = {dim = 0..100},
                    notes = {capability, "position.DIM", "salience.DIM"}, sources
    [uncertainty]   optional: note, sources, and "ACTOR.capability" / "ACTOR.position.DIM" /
                    "ACTOR.salience.DIM" = a distribution (see ``detente.smp.uncertainty``)
    [[record]]      optional: actor, dimension, date, position (0..100), source, note: where an
                    actor stood on a dimension on a date after the inputs, for the backtest
                    (``detente.smp.backtest``); it does not change the run
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from detente.errors import ScenarioError
from detente.scenario import screen
from detente.scenario.schema import DistSpec
from detente.smp.csv import SmpInput, parse_ktab_csv
from detente.smp.library import ids, library_text
from detente.smp.uncertainty import Uncertain, from_table, slug


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ForecastHeader(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str = ""
    note: str = ""
    sources: list[str] = []


class DimensionSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    low: str = ""  # what a position of 0 means
    high: str = ""  # what a position of 100 means
    note: str = ""


class ActorSpec(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    name: str
    description: str = ""
    capability: float = Field(gt=0)
    position: dict[str, float]
    salience: dict[str, float]
    notes: dict[str, str] = {}
    sources: list[str] = []


class ForecastUncertaintySpec(BaseModel):
    """Distributions keyed "ACTOR.capability", "ACTOR.position.DIM", "ACTOR.salience.DIM"."""

    model_config = ConfigDict(extra="allow", frozen=True, strict=True)
    __pydantic_extra__: dict[str, DistSpec] = Field(init=False)

    note: str = ""
    sources: list[str] = []


class RecordEntry(_Strict):
    """Where an actor stood on one dimension on a date after the forecast's inputs, coded from a
    source (the record the forecast is scored against; the run does not use it)."""

    actor: str
    dimension: str
    date: datetime.date
    position: float = Field(description="0-100, on the dimension's scale")
    source: str = Field(description="author or outlet, date, title")
    note: str = ""


class ForecastSpec(_Strict):
    forecast: ForecastHeader
    dimensions: list[DimensionSpec] = Field(min_length=1)
    actors: list[ActorSpec] = Field(min_length=2)
    uncertainty: ForecastUncertaintySpec | None = None
    record: list[RecordEntry] = []


@dataclass(frozen=True)
class ForecastSource:
    """A forecast's input as read: where from, its bytes, the model's input, the ids that
    keys and metrics use (a KTAB CSV's names made into ids by ``slug``), and the file's
    uncertain inputs (none for a CSV)."""

    origin: str
    data: bytes
    input: SmpInput
    actor_ids: tuple[str, ...]
    dimension_ids: tuple[str, ...]
    uncertain: tuple[Uncertain, ...]
    id: str = ""  # a forecast file's [forecast] id (a KTAB CSV has none)

    @property
    def content_hash(self) -> str:
        """The SHA-256 of the bytes read: what the run store and the results identify it by."""
        return hashlib.sha256(self.data).hexdigest()


def _key(loc: tuple[int | str, ...], data: dict[str, object]) -> str:
    """A pydantic error location as a key path, with an actor's or dimension's id in brackets."""
    out: list[str] = []
    node: object = data
    for part in loc:
        if isinstance(part, int) and out:
            item = node[part] if isinstance(node, list) and part < len(node) else None
            name = item.get("id") if isinstance(item, dict) else None
            out[-1] += f"[{name}]" if isinstance(name, str) else f"[{part}]"
        else:
            out.append(str(part))
        if isinstance(node, dict):
            node = node.get(str(part))
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
    return ".".join(out)


def parse_forecast(data: bytes, origin: str) -> tuple[ForecastSpec, SmpInput]:
    raw = screen.loads(data, origin)  # bounded before the TOML parser sees it
    try:
        spec = ForecastSpec.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        reason = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        raise ScenarioError(origin, _key(tuple(err["loc"]), raw), reason) from None
    return spec, to_input(spec, origin)


def to_input(spec: ForecastSpec, origin: str) -> SmpInput:
    """Check the numbers against the dimensions, and build the model's input (0-1 scale)."""
    dims = [d.id for d in spec.dimensions]
    for kind, items in (("dimensions", dims), ("actors", [a.id for a in spec.actors])):
        seen: set[str] = set()
        for i in items:
            if i in seen:
                raise ScenarioError(origin, kind, f"duplicate id {i!r}")
            seen.add(i)
    for a in spec.actors:
        where = f"actors[{a.id}]"
        for field in ("position", "salience"):
            table: dict[str, float] = getattr(a, field)
            for d in table:
                if d not in dims:
                    raise ScenarioError(origin, f"{where}.{field}.{d}", f"unknown dimension (dimensions: {', '.join(dims)})")
            for d in dims:
                if d not in table:
                    raise ScenarioError(origin, f"{where}.{field}", f"missing dimension {d!r}")
                if not 0 <= table[d] <= 100:
                    raise ScenarioError(origin, f"{where}.{field}.{d}", f"must lie in [0, 100], got {table[d]:g}")
        total = sum(a.salience.values())
        if total > 100 + 1e-9:
            raise ScenarioError(origin, f"{where}.salience", f"saliences sum to {total:g} > 100")
        for k in a.notes:
            known = {"capability", "description"} | {f"{f}.{d}" for f in ("position", "salience") for d in dims}
            if k not in known:
                raise ScenarioError(origin, f"{where}.notes.{k}", "a note for no number of this actor")
    check_record(spec, origin)
    return SmpInput(
        name=spec.forecast.title,
        description=spec.forecast.description,
        actor_names=[a.name for a in spec.actors],
        actor_descriptions=[a.description or a.name for a in spec.actors],
        dimension_names=[d.name for d in spec.dimensions],
        capability=np.array([a.capability for a in spec.actors]),
        position=np.array([[a.position[d] / 100 for d in dims] for a in spec.actors]),
        salience=np.array([[a.salience[d] / 100 for d in dims] for a in spec.actors]),
        source=origin,
    )


def check_record(spec: ForecastSpec, origin: str) -> None:
    """Each [[record]] entry names a known actor and dimension, lies in [0, 100], has a source,
    and no two entries give the same actor, dimension and date."""
    actors = [a.id for a in spec.actors]
    dims = [d.id for d in spec.dimensions]
    seen: dict[tuple[str, str, datetime.date], int] = {}
    for i, r in enumerate(spec.record):
        where = f"record[{i}]"
        if r.actor not in actors:
            raise ScenarioError(origin, f"{where}.actor", f"unknown actor {r.actor!r} (actors: {', '.join(actors)})")
        if r.dimension not in dims:
            raise ScenarioError(origin, f"{where}.dimension", f"unknown dimension {r.dimension!r} (dimensions: {', '.join(dims)})")
        if not 0 <= r.position <= 100:
            raise ScenarioError(origin, f"{where}.position", f"must lie in [0, 100], got {r.position:g}")
        if not r.source.strip():
            raise ScenarioError(origin, f"{where}.source", "empty: every entry of the record needs a source (author or outlet, date, title)")
        key = (r.actor, r.dimension, r.date)
        if key in seen:
            raise ScenarioError(
                origin, where, f"{r.actor} on {r.dimension} on {r.date.isoformat()} is already recorded in record[{seen[key]}]"
            )
        seen[key] = i


def read_spec(source: str | Path) -> tuple[str, bytes, ForecastSpec, SmpInput]:
    """A built-in forecast scenario by id or a forecast TOML file, as its spec: (origin, bytes,
    spec, input). A KTAB CSV has no spec (no ids, notes or record) and is refused."""
    name = str(source)
    if name.lower().endswith(".csv"):
        raise ScenarioError(name, "", "a KTAB CSV has no [[record]]: write the forecast as a TOML file (docs/reference/scenario.md)")
    text = _read_text(source)
    spec, inp = parse_forecast(text, name)
    return name, text, spec, inp


def _read_text(source: str | Path) -> bytes:
    name = str(source)
    text = library_text(name) if "/" not in name and "." not in name else None
    if text is None:
        try:
            text = screen.read_capped(Path(source), name)
        except OSError as exc:
            known = ", ".join(ids()) or "none"
            raise ScenarioError(
                name, "", f"no such file or built-in forecast scenario ({exc.strerror or exc}; built in: {known})"
            ) from None
    return text


def read_input(source: str | Path) -> tuple[str, bytes, SmpInput]:
    """A built-in forecast scenario by id, a TOML file or a KTAB CSV: (origin, bytes, input)."""
    src = read_source(source)
    return src.origin, src.data, src.input


def read_source(source: str | Path) -> ForecastSource:
    """A built-in forecast scenario by id, a TOML file or a KTAB CSV, with its uncertainty."""
    return parse_source(_read_text(source), str(source))


def parse_source(data: bytes, origin: str) -> ForecastSource:
    """A forecast's bytes read as ``origin`` names them: a KTAB CSV (``*.csv``) or a forecast
    TOML, with its uncertainty."""
    name = origin
    text = data
    if name.lower().endswith(".csv"):
        try:
            csv_text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ScenarioError(name, "", f"not UTF-8 text (byte {exc.start})") from None
        inp = parse_ktab_csv(csv_text, name)
        actors = tuple(slug(a) for a in inp.actor_names)
        dims = tuple(slug(d) for d in inp.dimension_names)
        return ForecastSource(name, text, inp, actors, dims, ())
    spec, inp = parse_forecast(text, name)
    actors = tuple(a.id for a in spec.actors)
    dims = tuple(d.id for d in spec.dimensions)
    table = spec.uncertainty.model_extra if spec.uncertainty is not None else None
    uncertain = from_table(name, dict(table or {}), inp, actors, dims)
    return ForecastSource(name, text, inp, actors, dims, uncertain, spec.forecast.id)


__all__ = [
    "ForecastSource",
    "ForecastSpec",
    "RecordEntry",
    "check_record",
    "ids",
    "parse_forecast",
    "parse_source",
    "read_input",
    "read_source",
    "read_spec",
    "to_input",
]
