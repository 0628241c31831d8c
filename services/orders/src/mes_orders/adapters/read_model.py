"""Writes to the order read models, in the transaction of the events they reflect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.orders import OrderAmended, OrderCancelled, OrderCompleted, OrderReceived
from mes_events.envelope import EventEnvelope
from mes_events.uow import driver_of

# Read-model statuses: finer than the aggregate's (open splits into received/in progress/short).
RECEIVED, IN_PROGRESS, SHORT = "received", "in_progress", "short"
COMPLETED, CANCELLED = "completed", "cancelled"
CLOSED = (COMPLETED, CANCELLED)

# One statement, and no exception on a duplicate reference (an exception would abort the whole
# group-committed transaction): the caller learns from the empty RETURNING that it exists.
_INSERT_SUMMARY = """
INSERT INTO order_summary_v1 (order_id, external_ref, request_hash, customer, product, quantity,
    due_at, priority, status, version, routing, materials, received_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'received', 1, $9::jsonb, $10::jsonb, $11)
ON CONFLICT DO NOTHING RETURNING row_id
"""
_BY_REF = "SELECT order_id, request_hash FROM order_summary_v1 WHERE external_ref = $1"


@dataclass(frozen=True, slots=True)
class Existing:
    order_id: str
    request_hash: str


async def insert_received(
    conn: AsyncConnection, event: OrderReceived, request_hash: str, at: datetime
) -> bool:
    """Insert the order's row; False when its reference (or id) is already taken."""
    driver = driver_of(conn)
    assert driver is not None, "insert_received runs inside UnitOfWork.transaction()"
    data = event.model_dump(mode="json", include={"routing", "materials"})
    row = await driver.fetchrow(
        _INSERT_SUMMARY,
        event.order_id,
        event.external_ref,
        request_hash,
        event.customer,
        event.product,
        event.quantity,
        event.due_at,
        event.priority,
        orjson.dumps(data["routing"]).decode(),
        orjson.dumps(data["materials"]).decode(),
        at,
    )
    return row is not None


async def find_by_ref(conn: AsyncConnection, external_ref: str) -> Existing | None:
    """The order already received under an ERP reference, if any."""
    driver = driver_of(conn)
    assert driver is not None
    row = await driver.fetchrow(_BY_REF, external_ref)
    return None if row is None else Existing(row[0], row[1])


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
