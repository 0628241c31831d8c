"""Read queries of the API: work centers (more read models join as the service grows)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_CENTERS = """
    SELECT work_center_id AS id, work_center_group AS "group", name, calendar, efficiency,
           status, down_reason, down_at, expected_up_at
    FROM work_center
"""


async def work_centers(conn: AsyncConnection, work_center_id: str | None = None) -> list[Any]:
    """Every work center (or the one asked for), by id."""
    if work_center_id is None:
        rows = await conn.execute(text(_CENTERS + " ORDER BY work_center_id"))
    else:
        rows = await conn.execute(
            text(_CENTERS + " WHERE work_center_id = :id"), {"id": work_center_id}
        )
    return [dict(r._mapping) for r in rows]
