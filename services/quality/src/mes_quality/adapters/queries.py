"""Reads behind the GET endpoints: inspections and NCRs, filtered and paged by position."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_quality.adapters.tables import inspection_v1, ncr_v1

_INSPECTION = [c for c in inspection_v1.c if c.name not in ("position", "result_position")]
_NCR = [c for c in ncr_v1.c if c.name != "position"]


def _row(mapping: Any) -> dict[str, Any]:
    row = dict(mapping)
    for key in ("measurements", "failed_characteristics", "defect_codes"):
        if key in row and row[key] is None:
            row[key] = []
    return row


async def inspections(
    conn: AsyncConnection,
    *,
    status: str | None,
    work_center_id: str | None,
    order_id: str | None,
    product: str | None,
    after: int,
    limit: int,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of inspections in request order, and the cursor of the next page (if any)."""
    c = inspection_v1.c
    q = select(*_INSPECTION, c.position).where(c.position > after)
    for column, value in (
        (c.status, status),
        (c.work_center_id, work_center_id),
        (c.order_id, order_id),
        (c.product, product),
    ):
        if value is not None:
            q = q.where(column == value)
    rows = (await conn.execute(q.order_by(c.position).limit(limit + 1))).mappings().all()
    more = len(rows) > limit
    return [_row(r) for r in rows[:limit]], rows[limit - 1]["position"] if more else None


async def inspection(conn: AsyncConnection, inspection_id: str) -> dict[str, Any] | None:
    q = select(*_INSPECTION).where(inspection_v1.c.inspection_id == inspection_id)
    row = (await conn.execute(q)).mappings().first()
    return None if row is None else _row(row)


async def ncrs(
    conn: AsyncConnection, *, status: str | None, order_id: str | None, after: int, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of NCRs in the order they were raised, and the next page's cursor (if any)."""
    c = ncr_v1.c
    q = select(*_NCR, c.position).where(c.position > after)
    if status is not None:
        q = q.where(c.status == status)
    if order_id is not None:
        q = q.where(c.order_id == order_id)
    rows = (await conn.execute(q.order_by(c.position).limit(limit + 1))).mappings().all()
    more = len(rows) > limit
    return [dict(r) for r in rows[:limit]], rows[limit - 1]["position"] if more else None


async def ncr(conn: AsyncConnection, ncr_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(*_NCR).where(ncr_v1.c.ncr_id == ncr_id))).mappings().first()
    return None if row is None else dict(row)
