"""A cap on request bodies, enforced while they arrive.

A declared ``Content-Length`` over the cap is refused before the body is read; a body sent
without one (chunked) is counted as it streams in and refused as soon as it passes the cap,
so a client cannot make the server buffer more than the cap. A body that has not arrived
whole within ``seconds`` is refused with 408, so a client cannot hold a request open by
sending its body slowly.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, seconds: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                await self._refuse(send, 400, "Content-Length is not a number")
                return
            if too_big:
                await self._refuse(send, 413, self._message(int(declared)))
                return
        seen = 0
        exceeded = False
        late = False
        complete = False
        deadline = time.monotonic() + self.seconds

        async def counted() -> Message:
            # past the cap or the deadline, the app is told the body ended: whatever it
            # answers is replaced
            nonlocal seen, exceeded, late, complete
            if exceeded or late:
                return {"type": "http.request", "body": b"", "more_body": False}
            if complete:
                return await receive()  # after the body: the app waits for a disconnect
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                late = True
                return {"type": "http.request", "body": b"", "more_body": False}
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                complete = not message.get("more_body", False)
                if seen > self.max_bytes:
                    exceeded = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def replaced(message: Message) -> None:
            if not (exceeded or late):
                await send(message)
            elif message["type"] == "http.response.start":
                if late:
                    await self._refuse(send, 408, f"the request body did not arrive within this server's {self.seconds:g} s")
                else:
                    await self._refuse(send, 413, self._message(seen))

        await self.app(scope, counted, replaced)

    def _message(self, size: int) -> str:
        return f"the request body ({size:,} bytes or more) exceeds this server's limit of {self.max_bytes:,} bytes"

    @staticmethod
    async def _refuse(send: Send, status: int, detail: str) -> None:
        body = json.dumps({"detail": detail}).encode("utf-8")
        start: dict[str, Any] = {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
        await send(start)
        await send({"type": "http.response.body", "body": body})
