"""One event stream for the page: the services' `/events/stream` merged, resumable as one.

The merged stream's SSE id holds every service's own resume point, `orders=12-40;inventory=9-7`,
so a page that reconnects (with the id its EventSource kept) resumes each service exactly
where it stopped. A service that cannot be reached is reported with a `status` message and
retried; when a service tells this reader to `resume` (it fell behind), it reconnects at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

import anyio
import httpx
import orjson
import structlog
from httpx_sse import aconnect_sse
from sse_starlette import ServerSentEvent

log = structlog.get_logger("mes.dashboard.streams")

STATUS = "status"
END = "end"  # internal: the server is shutting down
UPSTREAM_RESUME = "resume"
# Events waiting for a slow page; past it the readers wait, and a service that waits too long
# for them cuts them off with `resume` (they reconnect from their resume point).
QUEUE_SIZE = 1_000


def encode_id(cursors: dict[str, str]) -> str:
    """The merged stream's id from each service's resume point."""
    return ";".join(f"{service}={cursors[service]}" for service in sorted(cursors))


def decode_id(raw: str | None, services: Sequence[str]) -> dict[str, str]:
    """Each known service's resume point in a merged id; anything else is ignored."""
    cursors: dict[str, str] = {}
    for part in (raw or "").split(";"):
        service, sep, cursor = part.strip().partition("=")
        if sep and service in services and cursor:
            cursors[service] = cursor
    return cursors


@dataclass(frozen=True, slots=True)
class _Item:
    service: str
    event: str
    data: str
    id: str


@dataclass
class _Reader:
    """Follows one service's stream into the shared queue, reconnecting as needed."""

    service: str
    url: str
    client: httpx.AsyncClient
    queue: asyncio.Queue[_Item]
    cursor: str | None
    backlog: int
    retry_s: float

    async def run(self) -> None:
        available: bool | None = None
        while True:
            try:
                async for item in self._session():
                    if available is not True:
                        available = True
                        await self.queue.put(self._status(True, None))
                    await self.queue.put(item)
                await asyncio.sleep(0.05)  # told to resume, or the stream ended: reconnect
                continue
            except (httpx.HTTPError, ValueError) as exc:
                log.info("stream.unavailable", service=self.service, error=repr(exc))
                if available is not False:
                    available = False
                    reason = f"{self.service} service unavailable"
                    await self.queue.put(self._status(False, reason))
            await asyncio.sleep(self.retry_s)

    async def _session(self) -> AsyncIterator[_Item]:
        headers = {"Last-Event-ID": self.cursor} if self.cursor else {}
        params = {} if self.cursor else {"backlog": str(self.backlog)}
        async with aconnect_sse(
            self.client, "GET", self.url, headers=headers, params=params
        ) as source:
            source.response.raise_for_status()
            async for sse in source.aiter_sse():
                self.cursor = sse.id or self.cursor
                if sse.event == UPSTREAM_RESUME:
                    return
                yield _Item(self.service, sse.event, sse.data, self.cursor or "")

    def _status(self, available: bool, reason: str | None) -> _Item:
        body = {"service": self.service, "available": available, "reason": reason}
        return _Item(self.service, STATUS, orjson.dumps(body).decode(), "")


class MergedStream:
    """The queue the services' readers fill and the page's stream drains."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[_Item] = asyncio.Queue(QUEUE_SIZE)

    async def end_on(self, shutdown: anyio.Event) -> None:
        """On server shutdown, end the page's stream cleanly (it reconnects elsewhere/later)."""
        await shutdown.wait()
        await self.queue.put(_Item("", END, "", ""))


async def merged(
    client: httpx.AsyncClient,
    urls: dict[str, str],
    cursors: dict[str, str],
    stream: MergedStream,
    *,
    backlog: int,
    retry_s: float,
) -> AsyncIterator[ServerSentEvent]:
    """The merged stream's messages; each service's reader runs while the page listens."""
    queue = stream.queue
    readers = [
        _Reader(s, f"{url}/events/stream", client, queue, cursors.get(s), backlog, retry_s)
        for s, url in urls.items()
    ]
    tasks = [asyncio.create_task(r.run()) for r in readers]
    try:
        while True:
            item = await queue.get()
            if item.event == END:
                return
            if item.event == STATUS:
                yield ServerSentEvent(item.data, event=STATUS)
                continue
            if item.id:
                cursors[item.service] = item.id
            # An id-only message moves the page's resume point; an event also carries data.
            yield ServerSentEvent(item.data or None, id=encode_id(cursors))
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
