"""`GET /events/stream`: a service's events as server-sent events, resumable with Last-Event-ID.

Every service mounts it through `build_app`. Each message is one stored event: the SSE `event`
is its CloudEvents type, the data is the event in CloudEvents' structured JSON form (with the
`id`, `type`, `source`, `subject`, `time` attributes and the data upcast to the current
version), and the SSE `id` is the event's store cursor written `<tx_id>-<position>`.

Why that id: readers of the store go in (tx_id, position) order, and a position alone is not a
safe resume point, because a transaction that commits late can store a lower position than one
already sent (docs/decisions.md). The full cursor resumes exactly: nothing missed, nothing twice.

- `Last-Event-ID` (or `?after=`, for a first connection; the header wins) resumes after that
  event; without either the stream starts at the present, or `?backlog=N` events before it.
- `?type=` and `?subject=` (repeatable) filter by event type and stream id. While filtered-out
  events go by, id-only messages (no data, so browsers dispatch nothing) move the client's
  resume point along.
- The first message is id-only too: a client knows where it stands before any event comes.
- A client more than the buffer behind the live tail gets a `resume` event carrying its
  resume point, then the stream ends; an EventSource reconnects with that id by itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

import anyio
import orjson
from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine
from sse_starlette import EventSourceResponse, ServerSentEvent

import mes_events.catalog  # noqa: F401 - registers the catalog's types, for the type filter
from mes_events.envelope import SPEC_VERSION, EventEnvelope
from mes_events.fanout import Overflowed, StoreTail, cursor_before_head
from mes_events.registry import REGISTRY, UnknownEventType
from mes_events.routing import add_routes, service_router
from mes_events.store import Cursor, EventStore
from mes_events.upcasting import upcast

STREAM_PATH = "/events/stream"
RESUME = "resume"
# How long one write to a client may block before the client is given up (a peer that stopped
# reading entirely; one that reads slowly is cut off by its buffer first).
SEND_TIMEOUT_S = 30.0
# Browsers wait this long before reconnecting after a `resume`.
RETRY_MS = 500
# At server shutdown, streams get this long to end by themselves before they are cut.
SHUTDOWN_GRACE_S = 2.0

CLIENTS = Gauge("mes_event_stream_clients", "open event-stream connections")
CUT_OFF = Counter("mes_event_stream_cut_off_total", "event-stream clients told to resume")


def format_id(cursor: Cursor) -> str:
    """The SSE id of the event at `cursor`."""
    return f"{cursor.tx_id}-{cursor.position}"


def parse_id(raw: str) -> Cursor:
    """The cursor an SSE id names; ValueError when it is not `<tx_id>-<position>`."""
    tx_id, sep, position = raw.strip().partition("-")
    if not sep or not tx_id.isdigit() or not position.isdigit():
        raise ValueError(f"{raw!r} is not an event id of this stream (<tx_id>-<position>)")
    return Cursor(int(tx_id), int(position))


def cloudevent(env: EventEnvelope) -> dict[str, Any]:
    """The event in CloudEvents' structured JSON form, its data upcast to the current version."""
    version, data = env.schema_version, env.data
    try:
        current = REGISTRY.current_version(env.event_type)
        data, version = upcast(env.event_type, version, data, current), current
    except UnknownEventType:
        pass  # a type this process does not know travels as stored
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": str(env.event_id),
        "source": env.source,
        "type": env.event_type,
        "subject": env.stream_id,
        "time": env.occurred_at.isoformat(),
        "datacontenttype": "application/json",
        "streamtype": env.stream_type,
        "streamversion": env.stream_version,
        "schemaversion": version,
        "correlationid": str(env.correlation_id),
        "causationid": None if env.causation_id is None else str(env.causation_id),
        "data": data,
    }
    if env.traceparent is not None:  # the CloudEvents distributed-tracing extension
        event["traceparent"] = env.traceparent
    return event


@dataclass(frozen=True, slots=True)
class StreamFilter:
    """Which events a client asked for; empty sets admit everything."""

    types: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()

    def admits(self, env: EventEnvelope) -> bool:
        return (not self.types or env.event_type in self.types) and (
            not self.subjects or env.stream_id in self.subjects
        )


async def messages(
    tail: StoreTail, after: Cursor, wanted: StreamFilter
) -> AsyncIterator[ServerSentEvent]:
    """The SSE messages after `after`; ends with a `resume` event if the client falls behind."""
    last = after
    CLIENTS.inc()
    try:
        yield ServerSentEvent(id=format_id(after))  # the client knows its resume point at once
        async for batch in tail.follow(after):
            for cursor, env in batch:
                if wanted.admits(env):
                    data = orjson.dumps(cloudevent(env)).decode()
                    yield ServerSentEvent(data, event=env.event_type, id=format_id(cursor))
            last = batch[-1][0]
            if not wanted.admits(batch[-1][1]):
                yield ServerSentEvent(id=format_id(last))
    except Overflowed:
        CUT_OFF.inc()
        body = {"reason": "too far behind the live stream", "last_event_id": format_id(last)}
        yield ServerSentEvent(
            orjson.dumps(body).decode(), event=RESUME, id=format_id(last), retry=RETRY_MS
        )
    finally:
        CLIENTS.dec()


def _invalid(where: str, name: str, message: str, value: Any) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": (where, name), "msg": message, "input": value}]
    )


def _known_types(types: list[str]) -> frozenset[str]:
    for name in types:
        try:
            REGISTRY.current_version(name)
        except UnknownEventType:
            raise _invalid("query", "type", f"unknown event type {name!r}", name) from None
    return frozenset(types)


async def _start(tail: StoreTail, header: str | None, after: str | None, backlog: int) -> Cursor:
    raw, where, name = (
        (header, "header", "Last-Event-ID") if header is not None else (after, "query", "after")
    )
    if raw is not None:
        try:
            return parse_id(raw)
        except ValueError as exc:
            raise _invalid(where, name, str(exc), raw) from None
    if backlog == 0:
        return await tail.position()
    async with tail.engine.connect() as conn:
        return await cursor_before_head(conn, backlog)


router = service_router(tags=["events"])


@router.get(STREAM_PATH, response_class=EventSourceResponse)
async def event_stream(
    request: Request,
    types: Annotated[list[str] | None, Query(alias="type", description="only these types")] = None,
    subject: Annotated[list[str] | None, Query(description="only these stream ids")] = None,
    after: Annotated[str | None, Query(description="resume after this event id")] = None,
    backlog: Annotated[int, Query(ge=0, le=10_000, description="start N events back")] = 0,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    """The service's events as they are stored, resumable with Last-Event-ID."""
    tail: StoreTail = request.app.state.event_tail
    wanted = StreamFilter(_known_types(types or []), frozenset(subject or []))
    start = await _start(tail, last_event_id, after, backlog)
    shutdown = anyio.Event()
    return EventSourceResponse(
        messages(tail, start, wanted),
        send_timeout=SEND_TIMEOUT_S,
        headers={"Cache-Control": "no-store"},
        shutdown_event=shutdown,
        shutdown_grace_period=SHUTDOWN_GRACE_S,
        # Runs beside the stream and is cancelled with it; not a sender of data here.
        data_sender_callable=partial(_end_streams_on, shutdown, tail),
    )


async def _end_streams_on(shutdown: anyio.Event, tail: StoreTail) -> None:
    """On server shutdown, end every stream cleanly (a final chunk, not a cut connection)."""
    await shutdown.wait()
    await tail.close()


def mount_event_stream(app: FastAPI, store: EventStore, engine: AsyncEngine) -> StoreTail:
    """Serve `GET /events/stream` from `store`; the caller closes the returned tail on shutdown."""
    tail = StoreTail(store, engine)
    app.state.event_tail = tail
    add_routes(app, router)
    return tail
