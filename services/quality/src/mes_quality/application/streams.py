"""Stream ids, loading a stream, and appending decided events with the read model inline."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from itertools import groupby

from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.quality import INSPECTION
from mes_events.envelope import EventEnvelope
from mes_events.registry import DomainEvent
from mes_events.store import EventStore, Metadata
from mes_quality.projections.board import QualityBoard

BOARD = QualityBoard()
# Ids derived from what they answer to: a redelivered or replayed cause finds the same id.
_IDS = uuid.UUID("6f0f4c8e-3b1a-5d2e-9c47-0a1b2c3d4e5f")


def inspection_id_for(order_id: str, operation_seq: int, job_id: str) -> str:
    return str(uuid.uuid5(_IDS, f"inspection/{order_id}/{operation_seq}/{job_id}"))


def ncr_id_for(inspection_id: str) -> str:
    return str(uuid.uuid5(_IDS, f"ncr/{inspection_id}"))


def inspection_stream(inspection_id: str) -> str:
    return f"inspection-{inspection_id}"


def ncr_stream(ncr_id: str) -> str:
    return f"ncr-{ncr_id}"


def stream_of(event: DomainEvent) -> str:
    """Inspection events go to the inspection's stream, NCR events to the NCR's."""
    if event.stream_type == INSPECTION:
        return inspection_stream(str(getattr(event, "inspection_id")))  # noqa: B009
    return ncr_stream(str(getattr(event, "ncr_id")))  # noqa: B009


async def load(
    conn: AsyncConnection, store: EventStore, stream_id: str
) -> tuple[list[DomainEvent], int]:
    """The stream's events (upcast) and its version."""
    envelopes = await store.read_stream(conn, stream_id)
    return [e.payload() for e in envelopes], len(envelopes)


async def append(
    conn: AsyncConnection,
    store: EventStore,
    meta: Metadata,
    events: Sequence[DomainEvent],
    versions: Mapping[str, int],
) -> list[EventEnvelope]:
    """Append each stream's run of events at the version the decision saw (new streams: 0)
    and apply them to the read model in the same transaction."""
    out: list[EventEnvelope] = []
    for stream_id, run in groupby(events, key=stream_of):
        envelopes = await store.append(conn, stream_id, versions.get(stream_id, 0), list(run), meta)
        for env in envelopes:
            await BOARD(conn, env)
        out += envelopes
    return out
