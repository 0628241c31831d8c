"""Stock read model: materials, lot balances, reservations, order usage and genealogy.

Fed only by this service's own events, so `mes_events.projection.rebuild` can replay it from
the store. The write path applies it inline, in the transaction that appends the events,
because reservation decisions read these balances under the material's lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.envelope import EventEnvelope
from mes_inventory.adapters import sql
from mes_inventory.adapters.tables import STOCK_TABLES

_REGISTER = text(
    """
    INSERT INTO material (material_id, description, unit, reorder_point, lead_time_days, version)
    VALUES (:material_id, :name, :unit, :reorder_point, :lead_time_days, :v)
    ON CONFLICT (material_id) DO UPDATE SET description = excluded.description,
        unit = excluded.unit, reorder_point = excluded.reorder_point,
        lead_time_days = excluded.lead_time_days, version = excluded.version
    """
)
_MATERIAL_VERSION = text("UPDATE material SET version = :v WHERE material_id = :material_id")
_ARRIVED = text(
    """
    INSERT INTO lot (lot_id, material_id, supplier, received_at, received, on_hand, version)
    VALUES (:lot_id, :material_id, :supplier, :arrived_at, :quantity, :quantity, :v)
    ON CONFLICT (lot_id) DO NOTHING
    """
)
_LOT_RESERVE = text(
    "UPDATE lot SET reserved = reserved + :quantity, version = :v WHERE lot_id = :lot_id"
)
_HOLD_ADD = text(
    """
    INSERT INTO reservation (order_id, operation_seq, material_id, lot_id, quantity)
    VALUES (:order_id, :operation_seq, :material_id, :lot_id, :quantity)
    ON CONFLICT (order_id, operation_seq, material_id, lot_id)
    DO UPDATE SET quantity = reservation.quantity + excluded.quantity
    """
)
# The CHECKs apply to the row proposed for insertion too, so decreases go in `:less`, applied
# only on conflict (a decrease always finds its row).
# A hold that drops to zero is deleted (its CHECK keeps quantities positive).
_HOLD_SUB = text(
    """
    WITH gone AS (
        DELETE FROM reservation WHERE order_id = :order_id AND operation_seq = :operation_seq
          AND material_id = :material_id AND lot_id = :lot_id AND quantity <= :quantity
        RETURNING 1
    )
    UPDATE reservation SET quantity = quantity - :quantity
    WHERE order_id = :order_id AND operation_seq = :operation_seq
      AND material_id = :material_id AND lot_id = :lot_id AND quantity > :quantity
    """
)
_USAGE = text(
    """
    INSERT INTO order_material (order_id, operation_seq, material_id, reserved, consumed)
    VALUES (:order_id, :operation_seq, :material_id, :reserved, :consumed)
    ON CONFLICT (order_id, operation_seq, material_id) DO UPDATE
    SET reserved = order_material.reserved + excluded.reserved - CAST(:less AS numeric),
        consumed = order_material.consumed + excluded.consumed
    """
)
_LOT_RELEASE = text(
    "UPDATE lot SET reserved = reserved - :quantity, version = :v WHERE lot_id = :lot_id"
)
_LOT_CONSUME = text(
    """
    UPDATE lot SET consumed = consumed + :quantity, on_hand = on_hand - :quantity,
        reserved = reserved - :reserved_quantity, version = :v
    WHERE lot_id = :lot_id
    """
)
_GENEALOGY = text(
    """
    INSERT INTO consumption (event_id, lot_id, material_id, order_id, operation_seq, job_id,
                             quantity, consumed_at)
    VALUES (:event_id, :lot_id, :material_id, :order_id, :operation_seq, :job_id, :quantity,
            :occurred_at)
    ON CONFLICT (event_id) DO NOTHING
    """
)
_ADJUST = text(
    """
    UPDATE lot SET adjusted = adjusted + :delta, on_hand = on_hand + :delta, version = :v
    WHERE lot_id = :lot_id
    """
)
_HOLD_LOT = text(
    "UPDATE lot SET quarantined = :held, hold_reason = CASE WHEN :held THEN :reason END,"
    " hold_ncr_id = CASE WHEN :held THEN :ncr_id END, version = :v WHERE lot_id = :lot_id"
)


# One round trip per event on the hot paths: the sub-statements touch different tables.
_RESERVED = text(
    "WITH l AS ("
    + str(_LOT_RESERVE.text)
    + "), h AS ("
    + str(_HOLD_ADD.text)
    + ") "
    + str(_USAGE.text)
)
_CONSUMED = text(
    "WITH l AS ("
    + str(_LOT_CONSUME.text)
    + "), g AS ("
    + str(_GENEALOGY.text)
    + ") "
    + str(_USAGE.text)
)


def _row(env: EventEnvelope) -> dict[str, Any]:
    payload = env.payload().model_dump()
    return {**payload, "v": env.stream_version}


class StockProjection:
    """Materials, lots and reservations as the inventory's own events leave them."""

    name = "stock_v1"
    tables: Sequence[Table] = STOCK_TABLES

    async def __call__(self, conn: AsyncConnection, env: EventEnvelope) -> None:
        steps = _STEPS.get(env.event_type)
        if steps is None:
            return
        row = _row(env)
        row.setdefault("reserved_quantity", None)
        row["reserved_quantity"] = row["reserved_quantity"] or Decimal(0)
        row["event_id"], row["occurred_at"] = env.event_id, env.occurred_at
        row["held"] = env.event_type == "inventory.LotQuarantined"
        row.setdefault("reason", None)
        row.setdefault("ncr_id", None)
        for statement, extra in steps:
            await sql.execute(conn, statement, {**row, **extra(row)})


def _none(_: dict[str, Any]) -> dict[str, Any]:
    return {}


def _reserved(row: dict[str, Any]) -> dict[str, Any]:
    return {"reserved": row["quantity"], "less": Decimal(0), "consumed": Decimal(0)}


def _released(row: dict[str, Any]) -> dict[str, Any]:
    return {"reserved": Decimal(0), "less": row["quantity"], "consumed": Decimal(0)}


def _consumed(row: dict[str, Any]) -> dict[str, Any]:
    return {"reserved": Decimal(0), "less": row["reserved_quantity"], "consumed": row["quantity"]}


def _hold_of_consumed(row: dict[str, Any]) -> dict[str, Any]:
    return {"quantity": row["reserved_quantity"]}


Step = tuple[TextClause, Any]
_STEPS: dict[str, list[Step]] = {
    "inventory.MaterialRegistered": [(_REGISTER, _none)],
    "inventory.MaterialShortage": [(_MATERIAL_VERSION, _none)],
    "inventory.MaterialArrived": [(_ARRIVED, _none)],
    "inventory.MaterialReserved": [(_RESERVED, _reserved)],
    "inventory.ReservationReleased": [
        (_LOT_RELEASE, _none),
        (_HOLD_SUB, _none),
        (_USAGE, _released),
    ],
    "inventory.MaterialConsumed": [(_CONSUMED, _consumed), (_HOLD_SUB, _hold_of_consumed)],
    "inventory.StockAdjusted": [(_ADJUST, _none)],
    "inventory.LotQuarantined": [(_HOLD_LOT, _none)],
    "inventory.LotReleased": [(_HOLD_LOT, _none)],
}
