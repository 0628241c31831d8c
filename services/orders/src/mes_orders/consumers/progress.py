"""Keeps orders current with the shop floor: projections, job progress, scrap, materials.

Consumes the scheduler's OrderProjected / JobStarted / JobCompleted, quality's dispositions
and inventory's reservations. Each handler runs inside the consumer's tracking transaction,
so a redelivered event changes nothing twice. JobCompleted may complete the order: the
OrderCompleted append shares that transaction too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.inventory import MaterialConsumed, MaterialReserved, MaterialShortage
from mes_events.catalog.quality import DispositionDecided, Scrap
from mes_events.catalog.scheduler import JobCompleted, JobStarted, OrderProjected
from mes_events.envelope import EventEnvelope
from mes_events.service import Subscription
from mes_events.store import EventStore, Metadata
from mes_events.topics import INVENTORY, QUALITY, SCHEDULER
from mes_orders.adapters import read_model
from mes_orders.domain.order import CompleteIfDone, Progress, decide, fold

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
_PROGRESS = text(
    "SELECT seq, status, good_quantity, scrap_quantity FROM order_operation_v1"
    " WHERE order_id = :order_id"
)
_OPEN_ORDER = text(
    "SELECT status FROM order_summary_v1 WHERE order_id = :order_id"
    " AND status NOT IN ('completed', 'cancelled') FOR UPDATE"
)
_TOTALS = text(
    """
    UPDATE order_summary_v1 s SET good_quantity = :good, scrap_quantity = :scrap,
        status = CASE WHEN :last_done AND :good < s.quantity THEN 'short'
                      ELSE 'in_progress' END
    WHERE order_id = :order_id AND status NOT IN ('completed', 'cancelled')
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
        match env.payload():
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
                await _settle(conn, store, env, e.order_id, env.occurred_at)
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
    await _settle(conn, store, env, e.order_id, e.completed_at)


async def _settle(
    conn: AsyncConnection,
    store: EventStore,
    cause: EventEnvelope,
    order_id: str,
    at: datetime,
) -> None:
    """Update totals and status; append OrderCompleted when the last operation is done."""
    if (await conn.execute(_OPEN_ORDER, {"order_id": order_id})).first() is None:
        return  # unknown here, or already completed/cancelled: progress is kept, status stays
    rows = (await conn.execute(_PROGRESS, {"order_id": order_id})).all()
    progress = Progress(
        good={r.seq: r.good_quantity for r in rows}, scrap={r.seq: r.scrap_quantity for r in rows}
    )
    envelopes = await store.read_stream(conn, order_id)
    state = fold(x.payload() for x in envelopes)
    new = decide(CompleteIfDone(order_id, progress, at), state)
    if new:
        # The completion is caused by the shop-floor event: the audit trail links the two.
        meta = Metadata(
            occurred_at=at, correlation_id=cause.correlation_id, causation_id=cause.event_id
        )
        stored = await store.append(conn, order_id, len(envelopes), new, meta)
        await read_model.apply(conn, stored)
        return
    await conn.execute(
        _TOTALS,
        {
            "order_id": order_id,
            "good": progress.good.get(state.last_seq, 0),
            "scrap": sum(progress.scrap.values()),
            "last_done": any(r.seq == state.last_seq and r.status == "completed" for r in rows),
        },
    )


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
