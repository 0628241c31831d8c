"""Completion: after progress or an amendment, complete the order or update its totals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.envelope import EventEnvelope
from mes_events.store import EventStore, Metadata
from mes_orders.adapters import read_model
from mes_orders.domain.order import CompleteIfDone, Progress, decide, fold

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
                      WHEN :reported THEN 'in_progress' ELSE s.status END
    WHERE order_id = :order_id AND status NOT IN ('completed', 'cancelled')
    """
)


async def settle(
    conn: AsyncConnection,
    store: EventStore,
    order_id: str,
    at: datetime,
    *,
    cause: EventEnvelope,
) -> None:
    """Append OrderCompleted if the last operation has the quantity good; else update totals.

    `cause` is the event that made the difference (a JobCompleted, a disposition, or the
    order's own amendment): the completion's causation id, so the audit trail links the two.
    """
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
            "reported": bool(rows),
        },
    )
