"""What ``detente serve`` checks of every connection before the API sees a request.

- **Host**: a web page on another site can make a browser send requests to 127.0.0.1 under
  its own name (DNS rebinding); only the names this server is reached by are answered
  (127.0.0.1, localhost, [::1], the ``--host`` it listens on, and any ``--allow-host``),
  anything else gets 400.
- **Slow clients**: a request's head (its line and headers) must arrive within
  ``HEAD_SECONDS`` of its first byte (of the connection, for the first request), else the
  connection is closed; its body within ``BODY_SECONDS``, else 408. An idle keep-alive
  connection is closed after ``KEEP_ALIVE_SECONDS``; a head larger than ``MAX_HEAD_BYTES``
  is refused by the HTTP parser.
- **Answers**: JSON is written with every non-ASCII character escaped, so that no text a
  client sent (a lone surrogate included) can make the answer fail to encode.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
import uvicorn
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

HEAD_SECONDS = 10.0
BODY_SECONDS = 30.0
KEEP_ALIVE_SECONDS = 5
MAX_HEAD_BYTES = 16_384
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")


class SafeJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped (``\\ud800`` stays an escape, never an encoding error)."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def problem(detail: str, status: int, errors: list[dict[str, str]] | None = None) -> SafeJSONResponse:
    """A refusal: ``detail``, one sentence; ``errors``, every problem of an invalid scenario."""
    body: dict[str, Any] = {"detail": detail}
    if errors is not None:
        body["errors"] = errors
    return SafeJSONResponse(body, status_code=status)


def allowed_hosts(host: str, extra: tuple[str, ...] = ()) -> frozenset[str]:
    """The Host names this server answers: loopback, the address it listens on, ``extra``."""
    names = set(LOOPBACK_NAMES) | {h.strip("[]").lower() for h in extra}
    if host not in WILDCARDS:
        names.add(host.strip("[]").lower())
    return frozenset(names)


def host_name(value: str) -> str:
    """``example.com:8000`` -> ``example.com``; ``[::1]:8000`` -> ``::1``."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class HostCheck:
    """Refuse requests whose Host header names another server (see the module)."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope.get("headers") or []).get(b"host")
        name = host_name(raw.decode("latin-1")) if raw is not None else ""
        if name not in self.allowed:
            shown = "no Host header" if raw is None else f"Host {raw.decode('latin-1')[:100]!r}"
            detail = (
                f"{shown} is not a name of this server (it answers {', '.join(sorted(self.allowed))}); "
                "start it with --allow-host NAME to be reached under another name"
            )
            await problem(detail, 400)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline on each request's head (see the module)."""

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            self._arm()  # a head still arriving: its deadline runs from its first byte
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEAD_SECONDS, self._head_timeout)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def server_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    """uvicorn's configuration for ``detente serve``, with this module's bounds."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=5,
        http=GuardedH11Protocol,  # a deadline on each request's head (slow clients)
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
    )


__all__ = [
    "BODY_SECONDS",
    "HEAD_SECONDS",
    "KEEP_ALIVE_SECONDS",
    "MAX_HEAD_BYTES",
    "GuardedH11Protocol",
    "HostCheck",
    "SafeJSONResponse",
    "allowed_hosts",
    "problem",
    "server_config",
]
