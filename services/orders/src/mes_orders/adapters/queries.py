"""Reads of the order read models: one order, filtered pages, at-risk orders."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# Lateness is computed against the order's own (possibly amended) due time, so an amendment
# is reflected at once rather than when the scheduler next projects.
_SUMMARY = """
SELECT row_id, order_id, external_ref, plant_id, customer, product, quantity, due_at AS due_date,
       priority, status, version, received_at, good_quantity, scrap_quantity,
       projected_completion_at,
       round((extract(epoch FROM projected_completion_at - due_at) / 60)::numeric, 2)
           AS lateness_minutes,
       coalesce(status NOT IN ('completed', 'cancelled')
                AND projected_completion_at > due_at, false) AS at_risk,
       completed_at, on_time, cancel_reason
FROM order_summary_v1
"""
_ONE = text(_SUMMARY + " WHERE order_id = :order_id")
_DETAIL = text("SELECT routing, materials FROM order_summary_v1 WHERE order_id = :order_id")
_OPERATIONS = text(
    "SELECT seq, status, good_quantity, scrap_quantity, started_at, completed_at"
    " FROM order_operation_v1 WHERE order_id = :order_id"
)
_MATERIALS = text(
    "SELECT material_id, reserved_quantity, missing_quantity, consumed_quantity"
    " FROM order_material_v1 WHERE order_id = :order_id"
)


@dataclass(frozen=True, slots=True)
class Filters:
    status: str | None = None
    customer: str | None = None
    product: str | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    at_risk: bool | None = None
    plant_id: str | None = None


class BadCursor(ValueError):
    """A pagination cursor this service did not issue."""


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"r{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("r"):
            raise ValueError(raw)
        return int(raw[1:])
    except ValueError as exc:
        raise BadCursor(f"cursor {cursor!r} is not one this API returned") from exc


async def summary(conn: AsyncConnection, order_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(_ONE, {"order_id": order_id})).mappings().first()
    return None if row is None else dict(row)


async def detail(conn: AsyncConnection, order_id: str) -> dict[str, Any] | None:
    """The summary plus per-operation progress and material status."""
    head = await summary(conn, order_id)
    if head is None:
        return None
    snap = (await conn.execute(_DETAIL, {"order_id": order_id})).one()
    progress = {r.seq: r._mapping for r in await conn.execute(_OPERATIONS, {"order_id": order_id})}
    stock = {
        r.material_id: r._mapping for r in await conn.execute(_MATERIALS, {"order_id": order_id})
    }
    head["operations"] = [_operation(op, progress.get(op["seq"])) for op in snap.routing]
    head["materials"] = [
        _material(m, head["quantity"], stock.get(m["material_id"])) for m in snap.materials
    ]
    return head


def _operation(op: dict[str, Any], done: Any) -> dict[str, Any]:
    return op | {
        "status": done["status"] if done else "planned",
        "good_quantity": done["good_quantity"] if done else 0,
        "scrap_quantity": done["scrap_quantity"] if done else 0,
        "started_at": done["started_at"] if done else None,
        "completed_at": done["completed_at"] if done else None,
    }


def _material(m: dict[str, Any], quantity: int, stock: Any) -> dict[str, Any]:
    required = Decimal(m["quantity_per_unit"]) * quantity
    reserved = stock["reserved_quantity"] if stock else Decimal(0)
    missing = stock["missing_quantity"] if stock else Decimal(0)
    status = "unknown" if stock is None else ("short" if missing > 0 else "reserved")
    return m | {
        "required_quantity": required,
        "reserved_quantity": reserved,
        "missing_quantity": missing,
        "consumed_quantity": stock["consumed_quantity"] if stock else Decimal(0),
        "status": status,
    }


async def page(
    conn: AsyncConnection, filters: Filters, *, after: int, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Orders in arrival order after the cursor; keyset pagination, stable under inserts."""
    where = ["row_id > :after"]
    params: dict[str, Any] = {"after": after, "limit": limit + 1}
    for column in ("status", "customer", "product", "plant_id"):
        if getattr(filters, column) is not None:
            where.append(f"{column} = :{column}")
            params[column] = getattr(filters, column)
    if filters.due_before is not None:
        where.append("due_at < :due_before")
        params["due_before"] = filters.due_before
    if filters.due_after is not None:
        where.append("due_at >= :due_after")
        params["due_after"] = filters.due_after
    if filters.at_risk is not None:
        risky = "(status NOT IN ('completed','cancelled') AND projected_completion_at > due_at)"
        where.append(risky if filters.at_risk else f"NOT coalesce({risky}, false)")
    sql = f"{_SUMMARY} WHERE {' AND '.join(where)} ORDER BY row_id LIMIT :limit"
    rows = [dict(r) for r in (await conn.execute(text(sql), params)).mappings()]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]["row_id"]) if more else None


_AT_RISK = text(
    f"SELECT * FROM ({_SUMMARY}) s, LATERAL (SELECT s.lateness_minutes * (6 - s.priority)"
    " AS weighted_lateness) w WHERE s.at_risk"
    " ORDER BY w.weighted_lateness DESC, s.due_date, s.row_id LIMIT :limit"
)


async def at_risk(conn: AsyncConnection, *, limit: int) -> list[dict[str, Any]]:
    """Open orders projected after their due time, worst (lateness x weight) first."""
    return [dict(r) for r in (await conn.execute(_AT_RISK, {"limit": limit})).mappings()]
