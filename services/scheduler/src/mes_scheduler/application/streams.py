"""Append to one of our streams and apply the floor projection in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.envelope import EventEnvelope
from mes_events.registry import DomainEvent
from mes_events.store import EventStore, Metadata
from mes_scheduler.projections.floor import FloorProjection

FLOOR = FloorProjection()


async def load(
    conn: AsyncConnection, store: EventStore, stream_id: str
) -> tuple[list[DomainEvent], int]:
    """The stream's payloads and its version."""
    envelopes = await store.read_stream(conn, stream_id)
    return [e.payload() for e in envelopes], len(envelopes)


async def emit(
    conn: AsyncConnection,
    store: EventStore,
    stream_id: str,
    expected: int,
    events: Sequence[DomainEvent],
    meta: Metadata,
) -> list[EventEnvelope]:
    """Append at `expected` (a stale version raises ConcurrencyError) and project inline."""
    envelopes = await store.append(conn, stream_id, expected, events, meta)
    for env in envelopes:
        await FLOOR(conn, env)
    return envelopes
