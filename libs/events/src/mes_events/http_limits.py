"""Refuses request bodies over a size limit before anything reads them (pure ASGI, no copy)."""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A production order with a long routing and bill of materials is a few tens of kilobytes; a
# megabyte leaves room for any real request and keeps a flood of large bodies out of memory.
DEFAULT_MAX_BODY_BYTES = 1_048_576


class BodyTooLarge(Exception):
    """Raised into the app's `receive` once the body streamed past the limit."""


class BodyLimit:
    """413 for a body over `limit` bytes, by Content-Length or while it streams in."""

    def __init__(self, app: ASGIApp, *, limit: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(send)
                return
        seen = 0
        started = refused = False

        async def counting_receive() -> Message:
            nonlocal seen, refused
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                # The app may turn a read error into its own answer (FastAPI: 400); ours goes
                # out first and anything the app sends after it is dropped.
                if not started and not refused:
                    refused = True
                    await self._refuse(send)
                raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started and not refused:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = orjson.dumps({"detail": f"request body is larger than {self.limit} bytes"})
        headers = [(b"content-type", b"application/json"), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
