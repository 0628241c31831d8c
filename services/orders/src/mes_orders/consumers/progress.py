"""Keeps orders current with the shop floor: projections, job progress, scrap, materials.

Consumes the scheduler's OrderProjected / JobStarted / JobCompleted, quality's dispositions
and inventory's reservations. Each handler runs inside the consumer's tracking transaction,
so a redelivered event changes nothing twice. JobCompleted may complete the order: the
OrderCompleted append shares that transaction too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.inventory import MaterialConsumed, MaterialReserved, MaterialShortage
from mes_events.catalog.quality import DispositionDecided, Scrap
from mes_events.catalog.scheduler import JobCompleted, JobStarted, OrderProjected
from mes_events.envelope import EventEnvelope
from mes_events.service import Subscription
from mes_events.store import EventStore
from mes_events.topics import INVENTORY, QUALITY, SCHEDULER
from mes_orders.application.completion import settle

_KNOWN = text("SELECT 1 FROM order_summary_v1 WHERE order_id = :order_id")
_PROJECTED = text(
    "UPDATE order_summary_v1 SET projected_completion_at = :at, projected_at = :projected_at"
    " WHERE order_id = :order_id"
)
_STARTED = text(
    """
    INSERT INTO order_operation_v1 (order_id, seq, status, started_at)
    VALUES (:order_id, :seq, 'started', :at)
    ON CONFLICT (order_id, seq) DO UPDATE SET started_at = coalesce(
        order_operation_v1.started_at, excluded.started_at)
    """
)
_IN_PROGRESS = text(
    "UPDATE order_summary_v1 SET status = 'in_progress'"
    " WHERE order_id = :order_id AND status = 'received'"
)
_COMPLETED_JOB = text(
    """
    INSERT INTO order_operation_v1 (order_id, seq, status, good_quantity, scrap_quantity,
                                    completed_at)
    VALUES (:order_id, :seq, 'completed', :good, :scrap, :at)
    ON CONFLICT (order_id, seq) DO UPDATE SET status = 'completed',
        good_quantity = order_operation_v1.good_quantity + excluded.good_quantity,
        scrap_quantity = order_operation_v1.scrap_quantity + excluded.scrap_quantity,
        completed_at = excluded.completed_at
    """
)
_SCRAPPED = text(
    """
    INSERT INTO order_operation_v1 (order_id, seq, status, scrap_quantity)
    VALUES (:order_id, :seq, 'completed', :quantity)
    ON CONFLICT (order_id, seq) DO UPDATE SET
        good_quantity = greatest(order_operation_v1.good_quantity - excluded.scrap_quantity, 0),
        scrap_quantity = order_operation_v1.scrap_quantity + excluded.scrap_quantity
    """
)
_MATERIAL = text(
    """
    INSERT INTO order_material_v1 (order_id, material_id, reserved_quantity, missing_quantity,
                                   consumed_quantity, updated_at)
    VALUES (:order_id, :material_id, :reserved, :missing, :consumed, :at)
    ON CONFLICT (order_id, material_id) DO UPDATE SET
        reserved_quantity = order_material_v1.reserved_quantity + excluded.reserved_quantity,
        missing_quantity = CASE WHEN :says_missing THEN excluded.missing_quantity
            ELSE greatest(order_material_v1.missing_quantity - excluded.reserved_quantity, 0) END,
        consumed_quantity = order_material_v1.consumed_quantity + excluded.consumed_quantity,
        updated_at = excluded.updated_at
    """
)

Handler = Callable[[AsyncConnection, EventEnvelope], Awaitable[None]]


def subscription(store: EventStore) -> Subscription:
    """The orders service's consumer of the scheduler, quality and inventory topics."""
    return Subscription("progress", (SCHEDULER, QUALITY, INVENTORY), progress_handler(store))


def progress_handler(store: EventStore) -> Handler:
    async def handle(conn: AsyncConnection, env: EventEnvelope) -> None:
        if env.event_type not in _HANDLED:
            return  # other event types of these topics do not concern orders
        payload = env.payload()
        order_id: str = getattr(payload, "order_id", "")
        if (await conn.execute(_KNOWN, {"order_id": order_id})).first() is None:
            return  # not an order of this service: keep no rows about it
        match payload:
            case OrderProjected() as e:
                params = {"order_id": e.order_id, "at": e.projected_completion_at}
                await conn.execute(_PROJECTED, params | {"projected_at": env.occurred_at})
            case JobStarted() as e:
                params = {"order_id": e.order_id, "seq": e.operation_seq, "at": e.started_at}
                await conn.execute(_STARTED, params)
                await conn.execute(_IN_PROGRESS, params)
            case JobCompleted() as e:
                await _job_completed(conn, store, env, e)
            case DispositionDecided(disposition=Scrap(quantity=q)) as e:
                params = {"order_id": e.order_id, "seq": e.operation_seq, "quantity": q}
                await conn.execute(_SCRAPPED, params)
                await settle(conn, store, e.order_id, env.occurred_at, cause=env)
            case MaterialReserved() | MaterialShortage() | MaterialConsumed() as e:
                await conn.execute(_MATERIAL, _material_row(e, env))
            case _:
                pass

    return handle


_HANDLED = frozenset(
    {
        "scheduler.OrderProjected",
        "scheduler.JobStarted",
        "scheduler.JobCompleted",
        "quality.DispositionDecided",
        "inventory.MaterialReserved",
        "inventory.MaterialShortage",
        "inventory.MaterialConsumed",
    }
)


async def _job_completed(
    conn: AsyncConnection, store: EventStore, env: EventEnvelope, e: JobCompleted
) -> None:
    params = {
        "order_id": e.order_id,
        "seq": e.operation_seq,
        "good": e.good_quantity,
        "scrap": e.scrap_quantity,
        "at": e.completed_at,
    }
    await conn.execute(_COMPLETED_JOB, params)
    await settle(conn, store, e.order_id, e.completed_at, cause=env)


def _material_row(
    e: MaterialReserved | MaterialShortage | MaterialConsumed, env: EventEnvelope
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "order_id": e.order_id,
        "material_id": e.material_id,
        "reserved": 0,
        "missing": 0,
        "consumed": 0,
        "at": env.occurred_at,
        "says_missing": False,
    }
    match e:
        case MaterialReserved():
            row["reserved"] = e.quantity
            if e.missing_quantity is not None:
                row["missing"], row["says_missing"] = e.missing_quantity, True
        case MaterialShortage():
            row["missing"], row["says_missing"] = e.missing_quantity, True
        case MaterialConsumed():
            row["consumed"] = e.quantity
    return row
