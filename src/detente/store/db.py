"""The run store: one DuckDB file that every simulate, sensitivity and solve run is recorded in.

DuckDB lets one process at a time open a file for writing, so no connection is ever held
across a run: each call opens the file, does one short transaction and closes it, retrying with
jittered backoff while another process holds the lock. A run's row is written as ``running``
by :meth:`RunStore.begin` and turned ``complete`` (with its result and every table row) by one
transaction in :meth:`RunStore.finish`, so a process killed at any moment leaves either the
whole result or none of it.
"""

from __future__ import annotations

import builtins
import json
import math
import os
import random
import re
import socket
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NoReturn, TypeVar

import duckdb
import platformdirs

from detente.store.diff import diff_runs
from detente.store.model import FINAL_STATUSES, RunDiff, RunRecord, StoreError

T = TypeVar("T")
Con = duckdb.DuckDBPyConnection
ExportFormat = Literal["parquet", "csv"]

SCHEMA_VERSION = 1
DEFAULT_BUSY_TIMEOUT = 30.0  # seconds to wait for another process's transaction
MIN_PREFIX = 4
ID_LENGTH = 12

_SCHEMA = (
    "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    """CREATE TABLE runs (
        id VARCHAR PRIMARY KEY,
        kind VARCHAR NOT NULL,
        status VARCHAR NOT NULL,
        scenario_id VARCHAR NOT NULL,
        content_hash VARCHAR NOT NULL,
        scenario_text VARCHAR NOT NULL,
        parameters VARCHAR NOT NULL,
        overrides VARCHAR NOT NULL,
        seed BIGINT,
        options VARCHAR NOT NULL,
        version VARCHAR NOT NULL,
        pid INTEGER NOT NULL,
        hostname VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        seconds DOUBLE,
        result VARCHAR
    )""",
    """CREATE TABLE run_tables (
        run_id VARCHAR NOT NULL,
        table_name VARCHAR NOT NULL,
        row_index INTEGER NOT NULL,
        row_json VARCHAR NOT NULL
    )""",
)
_RUN_COLUMNS = (
    "id, kind, status, scenario_id, content_hash, started_at, finished_at, seconds, seed, "
    "parameters, overrides, options, version, pid, hostname, result"
)
# widest integer most readers (pandas, spark, R) take; JSON's NULL-only columns become text
_PORTABLE_TYPES = {"UBIGINT": "BIGINT", "HUGEINT": "BIGINT", "UHUGEINT": "BIGINT", "NULL": "VARCHAR"}


def default_store_path() -> Path:
    """``$DETENTE_STORE`` if set, else ``runs.duckdb`` in the user's data directory."""
    env = os.environ.get("DETENTE_STORE")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("detente")) / "runs.duckdb"


class _Busy(Exception):
    """Another process (or connection) holds the file or conflicts with our transaction."""


class _Empty(Exception):
    """The file holds no store yet (missing, or created by a writer killed before its commit)."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def _dumps(value: object, what: str, path: Path) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(path, f"{what} is not JSON ({exc})") from None


def _json_safe(value: Any) -> Any:
    """NaN and infinities as null: strict JSON for DuckDB's reader (Python's dumps writes NaN)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _portable(structure: Any) -> Any:
    if isinstance(structure, str):
        return _PORTABLE_TYPES.get(structure, structure)
    if isinstance(structure, dict):
        return {k: _portable(v) for k, v in structure.items()}
    if isinstance(structure, list):
        return [_portable(v) for v in structure]
    return structure


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _process_start(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), or None if unknown; -inf for a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses
    if fields[0] in ("Z", "X"):
        return -math.inf
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _process_alive(pid: int, since: datetime) -> bool:
    """Whether the process that began a run at ``since`` (UTC) still runs on this host.

    A live pid that started after the run did is another process that reused the number.
    """
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return True  # os.kill would terminate it; no cheap check, so assume it still runs
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another user
    except OSError:
        return False
    start = _process_start(pid)
    if start is None:
        return True
    return start != -math.inf and start <= since.timestamp() + 2.0


def effective_status(stored: str, pid: int, hostname: str, started_at: datetime) -> str:
    """The status to show: a row still ``running`` whose process is gone is ``incomplete``.

    Decided at read time, never written back: the row itself stays as its writer left it.
    A run begun on another host cannot be checked and shows ``running``.
    """
    if stored != "running" or hostname != socket.gethostname():
        return stored
    return "running" if _process_alive(pid, started_at) else "incomplete"


CREATING = 2.0  # seconds: a file this new that is not yet a database may be being created


def _being_created(path: Path) -> bool:
    """Whether another process may be creating a store in the file right now: written in the
    last ``CREATING`` seconds and empty or still without a whole header (DuckDB's magic bytes
    "DUCK" at offset 8 begin it). Any other file that is not a database is refused at once."""
    try:
        written = path.stat().st_mtime
        with path.open("rb") as fh:
            head = fh.read(12)
    except OSError:
        return True  # gone again, or not yet readable: try again
    return time.time() - written < CREATING and (len(head) < 12 or head[8:12] == b"DUCK")


class RunStore:
    """A run store in one DuckDB file; cheap to make: the file is created on the first write."""

    def __init__(self, path: Path | str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.path = Path(path).expanduser()
        self.busy_timeout = busy_timeout

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    # -- connections -------------------------------------------------------------------------

    def _connect(self, write: bool) -> Con:
        if write:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                raise StoreError(
                    self.path, f"cannot create the directory {self.path.parent} ({reason})"
                ) from None
        elif not self.path.exists():
            raise _Empty
        try:
            return duckdb.connect(str(self.path), read_only=not write)
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" in message.lower():
                raise _Busy from None
            if "not a valid DuckDB database" in message:
                if _being_created(self.path):
                    raise _Busy from None  # another process is creating it: wait for its header
                raise StoreError(
                    self.path, "is not a detente run store (not a DuckDB database file)"
                ) from None
            raise StoreError(self.path, f"cannot open ({_first_line(message)})") from None
        except duckdb.ConnectionException:
            raise _Busy from None  # this process holds it open with another configuration
        except duckdb.Error as exc:
            raise StoreError(self.path, f"cannot open ({_first_line(str(exc))})") from None

    def _check_schema(self, con: Con, write: bool) -> None:
        """Create the schema in an empty file; refuse foreign databases and newer schemas."""
        tables = {
            str(row[0])
            for row in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
            ).fetchall()
        }
        if "meta" not in tables:
            if tables:
                names = ", ".join(sorted(tables)[:5])
                raise StoreError(
                    self.path, f"is not a detente run store (it holds other tables: {names})"
                )
            if not write:
                raise _Empty
            for statement in _SCHEMA:
                con.execute(statement)
            con.execute(
                "INSERT INTO meta VALUES ('schema_version', ?), ('created_by', 'detente')",
                [str(SCHEMA_VERSION)],
            )
            return
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        try:
            version = int(row[0]) if row else -1
        except ValueError:
            version = -1
        if version < 1:
            raise StoreError(self.path, "is not a detente run store (no schema version in meta)")
        if version > SCHEMA_VERSION:
            raise StoreError(
                self.path,
                f"was written by a newer detente (store schema {version}, this one reads up to "
                f"{SCHEMA_VERSION}); upgrade detente or choose another --store",
            )

    def _transact(self, op: Callable[[Con], T], write: bool, empty: Callable[[], T]) -> T:
        """Run ``op`` in one transaction on a fresh connection; retry while the file is busy.

        ``empty()`` answers a read of a store that does not exist yet (nothing is created).
        """
        deadline = time.monotonic() + self.busy_timeout
        attempt = 0
        while True:
            try:
                con = self._connect(write)
                try:
                    con.execute("BEGIN TRANSACTION")
                    self._check_schema(con, write)
                    value = op(con)
                    con.execute("COMMIT")
                    return value
                except duckdb.TransactionException as exc:
                    raise _Busy from exc
                except duckdb.Error as exc:
                    raise StoreError(self.path, _first_line(str(exc))) from None
                finally:
                    con.close()  # rolls back anything not committed
            except _Empty:
                return empty()
            except _Busy:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        self.path,
                        f"busy: another process held it for {self.busy_timeout:g} s",
                    ) from None
            attempt += 1
            pause = min(0.1, 0.005 * 2 ** min(attempt, 5)) * random.uniform(0.5, 1.5)
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))

    def _write(self, op: Callable[[Con], T]) -> T:
        def never() -> T:
            raise AssertionError("a write always opens the store")

        return self._transact(op, write=True, empty=never)

    def _read(self, op: Callable[[Con], T], empty: Callable[[], T]) -> T:
        return self._transact(op, write=False, empty=empty)

    # -- writing -----------------------------------------------------------------------------

    def begin(
        self,
        kind: str,
        scenario_id: str,
        content_hash: str,
        scenario_text: str,
        parameters: Mapping[str, float],
        overrides: Mapping[str, float],
        seed: int | None,
        options: Mapping[str, object],
        version: str,
    ) -> str:
        """Record that a run starts (status ``running``); returns its new id."""
        if not re.fullmatch(r"[a-z][a-z0-9_-]*", kind):
            raise StoreError(self.path, f"kind {kind!r} is not a run kind (e.g. simulate)")
        run_id = uuid.uuid4().hex[:ID_LENGTH]
        row = [
            run_id,
            kind,
            "running",
            scenario_id,
            content_hash,
            scenario_text,
            _dumps(dict(parameters), "parameters", self.path),
            _dumps(dict(overrides), "overrides", self.path),
            seed,
            _dumps(dict(options), "options", self.path),
            version,
            os.getpid(),
            socket.gethostname(),
            _now(),
        ]

        def insert(con: Con) -> None:
            con.execute(
                "INSERT INTO runs (id, kind, status, scenario_id, content_hash, scenario_text, "
                "parameters, overrides, seed, options, version, pid, hostname, started_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )

        self._write(insert)
        return run_id

    def finish(
        self,
        run_id: str,
        status: str,
        seconds: float,
        result: Mapping[str, object],
        tables: Mapping[str, Sequence[Mapping[str, object]]],
    ) -> None:
        """Record a run's end: status, result and every table row in one transaction, or nothing.

        Empty tables are not kept (they have no columns to export).
        """
        if status not in FINAL_STATUSES:
            raise StoreError(
                self.path, f"status {status!r} is not one of {', '.join(FINAL_STATUSES)}", run_id
            )
        result_json = _dumps(dict(result), "the result", self.path)
        encoded: dict[str, list[str]] = {}
        for name, rows in tables.items():
            if not isinstance(name, str) or not name:
                raise StoreError(self.path, f"table name {name!r} is not a non-empty string", run_id)
            if any(not isinstance(r, Mapping) for r in rows):
                raise StoreError(self.path, f"table {name}: every row must be a mapping", run_id)
            if rows:
                encoded[name] = [_dumps(dict(r), f"table {name}", self.path) for r in rows]

        def update(con: Con) -> None:
            found = con.execute("SELECT status FROM runs WHERE id = ?", [run_id]).fetchone()
            if found is None:
                raise StoreError(self.path, "no such run", run_id)
            if found[0] != "running":
                raise StoreError(self.path, f"already finished ({found[0]})", run_id)
            con.execute(
                "UPDATE runs SET status = ?, finished_at = ?, seconds = ?, result = ? WHERE id = ?",
                [status, _now(), float(seconds), result_json, run_id],
            )
            for name, rows in encoded.items():
                con.execute(
                    "INSERT INTO run_tables SELECT $run, $name, i - 1, row_json FROM "
                    "(SELECT unnest($rows) AS row_json, generate_subscripts($rows, 1) AS i)",
                    {"run": run_id, "name": name, "rows": rows},
                )

        self._write(update)

    # -- reading -----------------------------------------------------------------------------

    def _record(self, row: Sequence[Any]) -> RunRecord:
        (rid, kind, stored, scenario_id, content_hash, started, finished, seconds, seed,
         parameters, overrides, options, version, pid, hostname, result) = row  # fmt: skip
        return RunRecord(
            id=rid,
            kind=kind,
            status=effective_status(stored, pid, hostname, _utc(started) or datetime.now(UTC)),
            scenario_id=scenario_id,
            content_hash=content_hash,
            started_at=_utc(started),
            finished_at=_utc(finished),
            seconds=seconds,
            seed=seed,
            parameters=json.loads(parameters),
            overrides=json.loads(overrides),
            options=json.loads(options),
            version=version,
            pid=pid,
            hostname=hostname,
            result=None if result is None else json.loads(result),
        )

    def _resolve(self, con: Con, prefix: str) -> str:
        """The one run id starting with ``prefix`` (at least 4 hex digits)."""
        wanted = prefix.strip().lower()
        if not re.fullmatch(r"[0-9a-f]+", wanted):
            raise StoreError(self.path, "no such run (a run id is hex digits)", prefix)
        if len(wanted) < MIN_PREFIX:
            raise StoreError(
                self.path, f"prefix too short: give at least {MIN_PREFIX} characters", prefix
            )
        ids = [
            str(r[0])
            for r in con.execute(
                "SELECT id FROM runs WHERE starts_with(id, ?) ORDER BY id LIMIT 6", [wanted]
            ).fetchall()
        ]
        if not ids:
            raise StoreError(self.path, "no such run", prefix)
        if len(ids) > 1:
            shown = ", ".join(i[: len(wanted) + 2] + ".." for i in ids[:5])
            more = ", ..." if len(ids) > 5 else ""
            raise StoreError(self.path, f"ambiguous prefix, matches {shown}{more}", prefix)
        return ids[0]

    def _missing(self, prefix: str) -> Callable[[], NoReturn]:
        def fail() -> NoReturn:
            raise StoreError(self.path, "no such run", prefix)

        return fail

    def list(self, limit: int = 50, kind: str | None = None) -> builtins.list[RunRecord]:
        """The newest ``limit`` runs (of one kind if given), newest first."""

        def select(con: Con) -> builtins.list[RunRecord]:
            where, args = ("WHERE kind = ?", [kind]) if kind else ("", [])
            rows = con.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs {where} "
                "ORDER BY started_at DESC, id DESC LIMIT ?",
                [*args, max(0, limit)],
            ).fetchall()
            return [self._record(r) for r in rows]

        return self._read(select, builtins.list)

    def get(self, run_id: str) -> RunRecord:
        """The run with this id or unique id prefix (at least 4 characters)."""

        def select(con: Con) -> RunRecord:
            rid = self._resolve(con, run_id)
            row = con.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", [rid]).fetchone()
            assert row is not None
            return self._record(row)

        return self._read(select, self._missing(run_id))

    def scenario_text(self, run_id: str) -> str:
        """The scenario's TOML source as the run read it (to rerun or audit it)."""

        def select(con: Con) -> str:
            rid = self._resolve(con, run_id)
            row = con.execute("SELECT scenario_text FROM runs WHERE id = ?", [rid]).fetchone()
            assert row is not None
            return str(row[0])

        return self._read(select, self._missing(run_id))

    def table_sizes(self, run_id: str) -> dict[str, int]:
        """Each of a run's tables (sorted by name) with its number of rows."""

        def select(con: Con) -> dict[str, int]:
            rid = self._resolve(con, run_id)
            rows = con.execute(
                "SELECT table_name, count(*) FROM run_tables WHERE run_id = ? "
                "GROUP BY table_name ORDER BY table_name",
                [rid],
            ).fetchall()
            return {str(name): int(n) for name, n in rows}

        return self._read(select, self._missing(run_id))

    def table_names(self, run_id: str) -> builtins.list[str]:
        """The names of a run's tables, sorted."""
        return builtins.list(self.table_sizes(run_id))

    def _tables(self, run_id: str, names: Sequence[str] | None) -> tuple[str, dict[str, builtins.list[str]]]:
        """A run's full id and the JSON rows of the named tables (all if None), in order."""

        def select(con: Con) -> tuple[str, dict[str, builtins.list[str]]]:
            rid = self._resolve(con, run_id)
            rows = con.execute(
                "SELECT table_name, row_json FROM run_tables WHERE run_id = ? "
                "ORDER BY table_name, row_index",
                [rid],
            ).fetchall()
            found: dict[str, builtins.list[str]] = {}
            for name, text in rows:
                found.setdefault(str(name), []).append(str(text))
            for name in names or ():
                if name not in found:
                    have = ", ".join(found) or "none"
                    raise StoreError(self.path, f"no table {name!r} (tables: {have})", rid)
            return rid, found if names is None else {n: found[n] for n in names}

        return self._read(select, self._missing(run_id))

    def table(self, run_id: str, name: str) -> builtins.list[dict[str, Any]]:
        """One of a run's tables as the rows that were stored."""
        _, found = self._tables(run_id, [name])
        return [json.loads(text) for text in found[name]]

    def export(
        self, run_id: str, path: Path | str, fmt: ExportFormat, table: str | None = None, overwrite: bool = False
    ) -> builtins.list[Path]:
        """Write a run's tables as typed parquet or CSV files; returns the paths written.

        One table goes to ``path``; several to ``<stem>_<table>.<ext>`` beside it. The store is
        closed before writing, so a slow disk never holds its lock. An existing file is
        refused (nothing written) unless ``overwrite``.
        """
        if fmt not in ("parquet", "csv"):
            raise StoreError(self.path, f"format {fmt!r} is not parquet or csv", run_id)
        rid, found = self._tables(run_id, None if table is None else [table])
        if not found:
            raise StoreError(self.path, "has no tables to export", rid)
        target = Path(path).expanduser()
        paths = export_paths(target, builtins.list(found), fmt)
        existing = [p for p in paths if p.exists() or p.is_symlink()]
        if existing and not overwrite:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise StoreError(existing[0], f"exists{more}; add --force to overwrite it", rid)
        for name, out in zip(found, paths, strict=True):
            write_table(found[name], out, fmt)
        return paths

    def diff(self, a: str, b: str, timings: bool = False) -> RunDiff:
        """What differs between runs A and B (settings, then results); timings only if asked."""
        return diff_runs(self.get(a), self.get(b), timings)


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else "unknown error"


def export_paths(target: Path, names: Sequence[str], fmt: str) -> list[Path]:
    """``target`` for one table; ``<stem>_<name><suffix>`` beside it for several."""
    if len(names) == 1:
        return [target]
    suffix = target.suffix or f".{fmt}"
    return [
        target.with_name(f"{target.stem}_{re.sub(r'[^A-Za-z0-9_.-]', '_', n)}{suffix}")
        for n in names
    ]


def write_table(rows_json: Sequence[str], out: Path, fmt: ExportFormat) -> None:
    """Let an in-memory DuckDB type the JSON rows' columns and write them with COPY."""
    rows = [json.dumps(_json_safe(json.loads(r))) for r in rows_json]
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(":memory:") as mem:
            mem.execute("CREATE TABLE r AS SELECT unnest($rows) AS j, "
                        "generate_subscripts($rows, 1) AS i", {"rows": rows})  # fmt: skip
            found = mem.execute("SELECT json_group_structure(j::JSON) FROM r").fetchone()
            structure = json.dumps(_portable(json.loads(found[0] if found else "{}")))
            mem.execute(
                f"COPY (SELECT unnest(json_transform(j, {_sql_string(structure)})) FROM r "
                f"ORDER BY i) TO {_sql_string(str(out))} ({options})"
            )
    except OSError as exc:
        raise StoreError(out, f"cannot write ({exc.strerror or type(exc).__name__})") from None
    except duckdb.Error as exc:
        raise StoreError(out, f"cannot write ({_first_line(str(exc))})") from None
