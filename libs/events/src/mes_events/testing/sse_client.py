"""A minimal server-sent events reader for tests, and an in-process HTTP server to read from."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import orjson
import uvicorn
from fastapi import FastAPI


@dataclass(frozen=True, slots=True)
class Message:
    """One SSE message; `data` is None for an id-only message (browsers dispatch nothing)."""

    id: str | None
    event: str
    data: str | None

    def json(self) -> dict[str, object]:
        assert self.data is not None
        value = orjson.loads(self.data)
        assert isinstance(value, dict)
        return value


async def read_messages(response: httpx.Response) -> AsyncIterator[Message]:
    """Parse the SSE wire format (per the WHATWG spec, enough for these streams)."""
    event_id: str | None = None
    event, data = "message", list[str]()
    async for line in response.aiter_lines():
        if line == "":
            if event_id is not None or data:
                yield Message(event_id, event, "\n".join(data) if data else None)
            event_id, event, data = None, "message", []
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "id":
            event_id = value
        elif field == "event":
            event = value
        elif field == "data":
            data.append(value)


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """Run `app` (with its lifespan) under uvicorn on a free loopback port; yields its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
