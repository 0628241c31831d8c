"""Reads the write path decides on, inside its transaction (after the material's lock)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_inventory.adapters import sql
from mes_inventory.domain.lot import Hold
from mes_inventory.domain.requirement import Requirement
from mes_inventory.domain.stock import Lot, MaterialStock

# Why an advisory lock per material: every change of a material's lot balances (reserve,
# consume, count, hold) runs under it, so two transactions never decide on the same balances.
# It takes no transaction id (a row lock would), so the store's "head written by an older
# transaction" check does not fire for transactions that merely waited. The store's optimistic
# version check stays as the backstop (pyeventsourcing's lock-then-append pattern).
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_LOTS = text(
    """
    SELECT lot_id, material_id, received_at, on_hand, reserved, quarantined, version FROM lot
    WHERE material_id = :material_id AND (on_hand > 0 OR lot_id = ANY(:lot_ids))
    """
)
_REQUIREMENT_SELECT = """
    SELECT r.order_id, r.operation_seq, r.material_id, r.required,
           coalesce(u.reserved, 0), coalesce(u.consumed, 0), d.priority, d.due_at,
           r.quantity_per_unit
    FROM requirement r JOIN demand d ON d.order_id = r.order_id
    LEFT JOIN order_material u ON u.order_id = r.order_id
         AND u.operation_seq = r.operation_seq AND u.material_id = r.material_id
"""
_WAITING = text(
    _REQUIREMENT_SELECT
    + """
    WHERE r.material_id = :material_id AND d.status = 'open'
      AND r.required > coalesce(u.reserved, 0) + coalesce(u.consumed, 0)
    ORDER BY d.priority, d.due_at, r.order_id, r.operation_seq
    """
)
_OF_ORDER = text(
    _REQUIREMENT_SELECT + " WHERE r.order_id = :order_id ORDER BY r.material_id, r.operation_seq"
)
_HOLDINGS = text(
    "SELECT lot_id, quantity FROM reservation WHERE order_id = :order_id"
    " AND operation_seq = :operation_seq AND material_id = :material_id"
)
_HOLDS_ON_LOT = text(
    """
    SELECT h.order_id, h.operation_seq, h.quantity FROM reservation h
    LEFT JOIN demand d ON d.order_id = h.order_id
    WHERE h.lot_id = :lot_id
    ORDER BY d.priority DESC NULLS FIRST, d.due_at DESC NULLS FIRST, h.order_id DESC,
             h.operation_seq DESC
    """
)
_LOT_MATERIAL = text("SELECT material_id FROM lot WHERE lot_id = :lot_id")


async def lock_material(conn: AsyncConnection, material_id: str) -> None:
    await sql.execute(conn, _LOCK, {"key": f"inventory.material:{material_id}"})


async def lock_idempotency_key(conn: AsyncConnection, key: str) -> None:
    """Serialise requests carrying one Idempotency-Key: the second one sees the first's answer."""
    await sql.execute(conn, _LOCK, {"key": f"inventory.idempotency:{key}"})


async def load_stock(
    conn: AsyncConnection, material_id: str, lot_ids: Sequence[str] = ()
) -> MaterialStock:
    """The material's lots with stock (plus `lot_ids` even when empty)."""
    rows = await sql.fetch(conn, _LOTS, {"material_id": material_id, "lot_ids": list(lot_ids)})
    lots = {r[0]: Lot(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows}
    return MaterialStock(material_id, lots)


def _requirement(r: Sequence[object]) -> Requirement:
    return Requirement(*r)  # type: ignore[arg-type]


async def waiting(conn: AsyncConnection, material_id: str) -> list[Requirement]:
    """Open requirements the material still owes, most urgent first (priority, due date)."""
    rows = await sql.fetch(conn, _WAITING, {"material_id": material_id})
    return [_requirement(r) for r in rows]


async def requirements_of_order(conn: AsyncConnection, order_id: str) -> list[Requirement]:
    rows = await sql.fetch(conn, _OF_ORDER, {"order_id": order_id})
    return [_requirement(r) for r in rows]


async def holdings(
    conn: AsyncConnection, stock: MaterialStock, req: Requirement
) -> list[tuple[Lot, Decimal]]:
    """What `req` holds, lot by lot (lots holding a reservation always have stock)."""
    rows = await sql.fetch(
        conn,
        _HOLDINGS,
        {
            "order_id": req.order_id,
            "operation_seq": req.operation_seq,
            "material_id": req.material_id,
        },
    )
    return [(stock.lots[lot_id], qty) for lot_id, qty in rows if lot_id in stock.lots]


async def holds_on_lot(conn: AsyncConnection, lot_id: str) -> list[Hold]:
    """Reservations on a lot, least important first (they give way first)."""
    rows = await sql.fetch(conn, _HOLDS_ON_LOT, {"lot_id": lot_id})
    return [Hold(o, s, q) for o, s, q in rows]


async def lot_material(conn: AsyncConnection, lot_id: str) -> str | None:
    rows = await sql.fetch(conn, _LOT_MATERIAL, {"lot_id": lot_id})
    return str(rows[0][0]) if rows else None
