"""Reads behind SPC and KPIs: a characteristic's measurement series, yields, defects, NCR ages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_quality.adapters.tables import inspection_v1, measurement_v1
from mes_quality.domain.inspection import OUT_OF_TOLERANCE


async def series(
    conn: AsyncConnection,
    product: str,
    characteristic: str,
    *,
    operation_seq: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The last `limit` samples of the characteristic, oldest first, with their specs."""
    m, i = measurement_v1.c, inspection_v1.c
    last = (
        select(m.inspection_id, m.inspected_at, m.result_position)
        .where(m.product == product, m.characteristic == characteristic)
        .group_by(m.inspection_id, m.inspected_at, m.result_position)
        .order_by(m.inspected_at.desc(), m.result_position.desc())
        .limit(limit)
    )
    if operation_seq is not None:
        last = last.where(m.operation_seq == operation_seq)
    recent = last.subquery()
    values = func.array_agg(aggregate_order_by(m.value, m.sample))
    q = (
        select(
            recent.c.inspection_id, recent.c.inspected_at, values.label("values"), i.characteristics
        )
        .select_from(recent)
        .join(
            measurement_v1,
            (m.inspection_id == recent.c.inspection_id) & (m.characteristic == characteristic),
        )
        .join(inspection_v1, i.inspection_id == recent.c.inspection_id)
        .group_by(
            recent.c.inspection_id,
            recent.c.inspected_at,
            recent.c.result_position,
            i.characteristics,
        )
        .order_by(recent.c.inspected_at, recent.c.result_position)
    )
    return [dict(r) for r in (await conn.execute(q)).mappings().all()]


_YIELDS = text(
    """
    SELECT product, work_center_id, grouping(product) AS all_products,
        grouping(work_center_id) AS all_centers, count(*) AS inspections,
        count(*) FILTER (WHERE status = 'passed') AS passed,
        sum(sample_size) AS sampled_pieces, sum(coalesce(failed_count, 0)) AS failed_pieces
    FROM inspection_v1
    WHERE status IN ('passed', 'failed') AND (CAST(:since AS timestamptz) IS NULL
                                              OR inspected_at >= CAST(:since AS timestamptz))
    GROUP BY GROUPING SETS ((product, work_center_id), (product), (work_center_id))
    ORDER BY grouping(product), grouping(work_center_id), product, work_center_id
    """
)
_DEFECTS = text(
    """
    SELECT code, count(*) FROM (
        SELECT unnest(defect_codes) AS code FROM inspection_v1
        WHERE status IN ('passed', 'failed') AND (CAST(:since AS timestamptz) IS NULL
                                                  OR inspected_at >= CAST(:since AS timestamptz))
        UNION ALL
        SELECT :out_of_tolerance FROM inspection_v1
        WHERE status = 'failed' AND cardinality(defect_codes) = 0
          AND (CAST(:since AS timestamptz) IS NULL OR inspected_at >= CAST(:since AS timestamptz))
        UNION ALL
        SELECT defect_code FROM ncr_v1 WHERE inspection_id IS NULL
          AND (CAST(:since AS timestamptz) IS NULL OR raised_at >= CAST(:since AS timestamptz))
    ) AS defect GROUP BY code
    """
)
_OPEN_NCRS = text("SELECT raised_at FROM ncr_v1 WHERE status = 'open'")


async def yields(conn: AsyncConnection, since: datetime | None) -> list[dict[str, Any]]:
    """Judged inspections per product and work center, and per each alone (grouping sets)."""
    return [dict(r) for r in (await conn.execute(_YIELDS, {"since": since})).mappings().all()]


async def defect_counts(conn: AsyncConnection, since: datetime | None) -> dict[str, int]:
    """Defects recorded by inspectors, failures without a code, and NCRs raised by hand."""
    params = {"since": since, "out_of_tolerance": OUT_OF_TOLERANCE}
    return {code: int(n) for code, n in (await conn.execute(_DEFECTS, params)).all()}


async def open_ncr_times(conn: AsyncConnection) -> list[datetime]:
    return list((await conn.execute(_OPEN_NCRS)).scalars().all())
