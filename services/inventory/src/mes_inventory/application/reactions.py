"""Reactions to other services' events, inside the consumer's tracking transaction."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import text

from mes_events.catalog.orders import OrderAmended, OrderCancelled, OrderCompleted, OrderReceived
from mes_events.catalog.quality import DispositionDecided, NonconformanceRaised, UseAsIs
from mes_events.catalog.scheduler import JobCompleted
from mes_inventory.adapters import queries, sql
from mes_inventory.application import engine
from mes_inventory.application.handlers import set_hold
from mes_inventory.application.stock_tx import StockTx
from mes_inventory.domain.requirement import Requirement

_DEMAND = text(
    """
    INSERT INTO demand (order_id, quantity, priority, due_at, status)
    VALUES (:order_id, :quantity, :priority, :due_at, 'open') ON CONFLICT DO NOTHING
    RETURNING order_id
    """
)
_REQUIREMENT = text(
    """
    INSERT INTO requirement (order_id, operation_seq, material_id, quantity_per_unit, required)
    VALUES (:order_id, :operation_seq, :material_id, :qpu,
            CAST(:qpu AS numeric) * CAST(:quantity AS numeric))
    """
)
_AMEND = text(
    """
    UPDATE demand SET quantity = coalesce(:quantity, quantity),
        priority = coalesce(:priority, priority), due_at = coalesce(:due_at, due_at)
    WHERE order_id = :order_id AND status = 'open' RETURNING quantity
    """
)
_REQUIRED = text(
    "UPDATE requirement SET required = quantity_per_unit * CAST(:quantity AS numeric)"
    " WHERE order_id = :order_id"
)
_KNOWN_ORDER = text("SELECT 1 FROM demand WHERE order_id = :order_id")
_PEND = text(
    "INSERT INTO pending_job (job_id, order_id, operation_seq, pieces)"
    " VALUES (:job_id, :order_id, :operation_seq, :pieces) ON CONFLICT DO NOTHING"
)
_TAKE_PENDING = text(
    "DELETE FROM pending_job WHERE order_id = :order_id RETURNING job_id, operation_seq, pieces"
)
_CLOSE = text(
    "UPDATE demand SET status = :status WHERE order_id = :order_id AND status = 'open'"
    " RETURNING order_id"
)


async def order_received(tx: StockTx, event: OrderReceived) -> None:
    """Record the order's material needs and reserve them, or record shortages."""
    await tx.lock(m.material_id for m in event.materials)
    new = await sql.fetch(tx.conn, _DEMAND, {**event.model_dump(include={"order_id", "quantity",
                                "priority", "due_at"})})  # fmt: skip
    if not new:
        return
    per_unit: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for m in event.materials:  # one BOM may list a material twice for one operation
        per_unit[(m.operation_seq, m.material_id)] += m.quantity_per_unit
    rows = [
        {"order_id": event.order_id, "operation_seq": seq, "material_id": mid, "qpu": qpu,
         "quantity": event.quantity}
        for (seq, mid), qpu in sorted(per_unit.items())
    ]  # fmt: skip
    if rows:
        await sql.execute_many(tx.conn, _REQUIREMENT, rows)
        fresh = [
            Requirement(event.order_id, seq, mid, qpu * event.quantity, priority=event.priority,
                        due_at=event.due_at, quantity_per_unit=qpu)
            for (seq, mid), qpu in per_unit.items()
        ]  # fmt: skip
        await engine.reserve(tx, fresh)
    await _pending_jobs(tx, event.order_id)


async def order_amended(tx: StockTx, event: OrderAmended) -> None:
    """A new quantity reserves more (or shortages) or releases the excess; else re-ranks."""
    await tx.lock(
        r.material_id for r in await queries.requirements_of_order(tx.conn, event.order_id)
    )
    changed = await sql.fetch(tx.conn, _AMEND, event.model_dump(include={"order_id", "quantity",
                                    "priority", "due_at"}))  # fmt: skip
    if not changed or event.quantity is None:
        return
    await sql.execute(tx.conn, _REQUIRED, {"order_id": event.order_id, "quantity": event.quantity})
    reqs = await queries.requirements_of_order(tx.conn, event.order_id)
    await engine.rebalance(tx, reqs, "order quantity reduced")


async def order_closed(tx: StockTx, event: OrderCancelled | OrderCompleted) -> None:
    """A cancelled or completed order gives back everything it still holds."""
    status = "cancelled" if isinstance(event, OrderCancelled) else "completed"
    await tx.lock(
        r.material_id for r in await queries.requirements_of_order(tx.conn, event.order_id)
    )
    closed = await sql.fetch(tx.conn, _CLOSE, {"order_id": event.order_id, "status": status})
    if not closed:
        return
    held: list[Requirement] = [
        r for r in await queries.requirements_of_order(tx.conn, event.order_id) if r.reserved > 0
    ]
    for req in held:
        await engine.release(tx, req, req.reserved, f"order {status}")
    await engine.refill(tx, {r.material_id for r in held})


async def job_completed(tx: StockTx, event: JobCompleted) -> None:
    """Backflush the operation's materials for the pieces made, good and scrap.

    A completion seen before its order (a replay reads topics interleaved) waits for it.
    """
    pieces = event.good_quantity + event.scrap_quantity
    if not await sql.fetch(tx.conn, _KNOWN_ORDER, {"order_id": event.order_id}):
        await sql.execute(tx.conn, _PEND, {"job_id": event.job_id, "order_id": event.order_id,
                          "operation_seq": event.operation_seq, "pieces": pieces})  # fmt: skip
        return
    await engine.backflush(tx, event.order_id, event.operation_seq, pieces, event.job_id)


async def _pending_jobs(tx: StockTx, order_id: str) -> None:
    for job_id, seq, pieces in await sql.fetch(tx.conn, _TAKE_PENDING, {"order_id": order_id}):
        await engine.backflush(tx, order_id, seq, pieces, job_id)


_HELD_BY = text("SELECT lot_id FROM lot WHERE hold_ncr_id = :ncr_id AND quarantined")


async def nonconformance_raised(tx: StockTx, event: NonconformanceRaised) -> None:
    """A nonconformance naming one of our lots puts that lot on hold."""
    if event.lot_id is None or await queries.lot_material(tx.conn, event.lot_id) is None:
        return
    reason = f"NCR {event.ncr_id}: {event.defect_code}"
    await set_hold(tx, event.lot_id, reason, held=True, ncr_id=event.ncr_id)


async def disposition_decided(tx: StockTx, event: DispositionDecided) -> None:
    """`use as is` releases the lots its nonconformance held; scrap and rework keep them held
    (writing off or reworking material is a person's count or release)."""
    if not isinstance(event.disposition, UseAsIs):
        return
    for (lot_id,) in (await tx.conn.execute(_HELD_BY, {"ncr_id": event.ncr_id})).all():
        reason = f"NCR {event.ncr_id} use as is: {event.disposition.justification}"
        await set_hold(tx, lot_id, reason[:2000], held=False)
