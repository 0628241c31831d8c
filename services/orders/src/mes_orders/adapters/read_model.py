"""Writes to the order read models, in the transaction of the events they reflect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import TypeAdapter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.common import MaterialRequirement, RoutingOperation
from mes_events.catalog.orders import OrderAmended, OrderCancelled, OrderCompleted, OrderReceived
from mes_events.envelope import EventEnvelope
from mes_events.uow import driver_of


class OrderStatus(StrEnum):
    """Read-model statuses: finer than the aggregate's (open = received/in progress/short)."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    SHORT = "short"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# One statement for a whole batch, and no exception on a taken reference (an exception would
# abort the whole group-committed transaction): RETURNING names the rows that were new.
# Rows go in order_id order, so concurrent batches take their unique-index locks in one order
# and cannot deadlock; among repeats of one reference, the earliest request (n) goes first.
_INSERT_SUMMARIES = """
INSERT INTO order_summary_v1 (order_id, external_ref, request_hash, customer, product, quantity,
    due_at, priority, status, version, routing, materials, received_at, plant_id)
SELECT o.order_id, o.external_ref, o.request_hash, o.customer, o.product, o.quantity, o.due_at,
       o.priority, 'received', 1, o.routing::jsonb, o.materials::jsonb, o.received_at, o.plant_id
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
            $7::timestamptz[], $8::int[], $9::text[], $10::text[], $11::timestamptz[],
            $12::text[])
     WITH ORDINALITY AS o(order_id, external_ref, request_hash, customer, product, quantity,
                          due_at, priority, routing, materials, received_at, plant_id, n)
ORDER BY o.order_id, o.n
ON CONFLICT DO NOTHING RETURNING order_id
"""
_BY_REFS = (
    "SELECT external_ref, order_id, request_hash FROM order_summary_v1"
    " WHERE external_ref = ANY($1::text[])"
)


# JSON straight from the catalog's types (as the event's own dump writes them), without a
# dict of the whole snapshot in between.
_ROUTING = TypeAdapter(tuple[RoutingOperation, ...])
_MATERIALS = TypeAdapter(tuple[MaterialRequirement, ...])


@dataclass(frozen=True, slots=True)
class NewOrder:
    event: OrderReceived
    request_hash: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Existing:
    order_id: str
    request_hash: str


async def insert_received(conn: AsyncConnection, rows: Sequence[NewOrder]) -> set[str]:
    """Insert the orders' rows; returns the ids that were new (a taken reference is skipped)."""
    driver = driver_of(conn)
    assert driver is not None, "insert_received runs inside UnitOfWork.transaction()"
    columns = (
        [r.event.order_id for r in rows],
        [r.event.external_ref for r in rows],
        [r.request_hash for r in rows],
        [r.event.customer for r in rows],
        [r.event.product for r in rows],
        [r.event.quantity for r in rows],
        [r.event.due_at for r in rows],
        [r.event.priority for r in rows],
        [_ROUTING.dump_json(r.event.routing).decode() for r in rows],
        [_MATERIALS.dump_json(r.event.materials).decode() for r in rows],
        [r.received_at for r in rows],
        [r.event.plant_id for r in rows],
    )
    return {row[0] for row in await driver.fetch(_INSERT_SUMMARIES, *columns)}


async def find_by_refs(conn: AsyncConnection, refs: Sequence[str]) -> dict[str, Existing]:
    """The orders already received under these ERP references, by reference."""
    driver = driver_of(conn)
    assert driver is not None
    rows = await driver.fetch(_BY_REFS, list(refs))
    return {r[0]: Existing(r[1], r[2]) for r in rows}


_LOCK = text("SELECT 1 FROM order_summary_v1 WHERE order_id = :order_id FOR UPDATE")


async def lock(conn: AsyncConnection, order_id: str) -> None:
    """Lock the order's row before appending to its stream.

    Why: the consumer locks this row, then appends OrderCompleted; a command that appended
    first and locked the row second would deadlock with it. One lock order for all writers.
    """
    await conn.execute(_LOCK, {"order_id": order_id})


_AMEND = text(
    "UPDATE order_summary_v1 SET quantity = coalesce(:quantity, quantity),"
    " due_at = coalesce(:due_at, due_at), priority = coalesce(:priority, priority),"
    " version = :version WHERE order_id = :order_id"
)
_CANCEL = text(
    "UPDATE order_summary_v1 SET status = 'cancelled', cancel_reason = :reason,"
    " version = :version WHERE order_id = :order_id"
)
_COMPLETE = text(
    "UPDATE order_summary_v1 SET status = 'completed', completed_at = :completed_at,"
    " on_time = :on_time, good_quantity = :good, scrap_quantity = :scrap, version = :version"
    " WHERE order_id = :order_id"
)


async def apply(conn: AsyncConnection, envelopes: Sequence[EventEnvelope]) -> None:
    """Reflect the order's own new events (other than OrderReceived) in its summary row."""
    for env in envelopes:
        params: dict[str, object] = {"order_id": env.stream_id, "version": env.stream_version}
        match env.payload():
            case OrderAmended() as e:
                params |= {"quantity": e.quantity, "due_at": e.due_at, "priority": e.priority}
                await conn.execute(_AMEND, params)
            case OrderCancelled() as e:
                await conn.execute(_CANCEL, params | {"reason": e.reason})
            case OrderCompleted() as e:
                params |= {
                    "completed_at": e.completed_at,
                    "on_time": e.on_time,
                    "good": e.good_quantity,
                    "scrap": e.scrap_quantity,
                }
                await conn.execute(_COMPLETE, params)
            case _:
                pass
