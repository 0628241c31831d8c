"""Read queries of the API: work centers, the published plan, dispatch lists, projections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.scheduler import ShiftCalendar
from mes_scheduler.domain import kpi
from mes_scheduler.domain.job import Center, JobFacts

_CENTERS = """
    SELECT work_center_id AS id, work_center_group AS "group", name, calendar, efficiency,
           status, down_reason, down_at, expected_up_at, version
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


_SCHEDULE = """
    SELECT job_id, order_id, seq, operation, work_center_id, start_at, end_at, status, late,
           material_status, rework
    FROM plan_operation
    WHERE status IN ('planned', 'started', 'completed') AND start_at IS NOT NULL
"""


async def schedule(
    conn: AsyncConnection,
    start: datetime | None,
    end: datetime | None,
    work_center_id: str | None,
) -> list[Any]:
    """Operations overlapping [start, end), by work center and start (the Gantt)."""
    sql, params = _SCHEDULE, dict[str, Any]()
    if start is not None:
        sql += " AND end_at > :start"
        params["start"] = start
    if end is not None:
        sql += " AND start_at < :end"
        params["end"] = end
    if work_center_id is not None:
        sql += " AND work_center_id = :wc"
        params["wc"] = work_center_id
    rows = await conn.execute(text(sql + " ORDER BY work_center_id, start_at, job_id"), params)
    return [dict(r._mapping) for r in rows]


async def plan_revision(conn: AsyncConnection, plan_id: str) -> int:
    q = text("SELECT revision FROM plan_state WHERE plan_id = :p")
    return int((await conn.execute(q, {"p": plan_id})).scalar() or 0)


_DISPATCH = text(
    """
    SELECT p.job_id, p.order_id, p.seq, p.operation, p.quantity, p.status, p.start_at, p.end_at,
           p.late, p.material_status, p.rework, o.priority, o.due_at,
           pred.job_id AS predecessor_job_id, pred.seq AS predecessor_seq,
           pred.status AS predecessor_status
    FROM plan_operation p
    JOIN plan_order o ON o.order_id = p.order_id
    LEFT JOIN plan_operation pred ON pred.order_id = p.order_id AND pred.position = p.position - 1
    WHERE p.work_center_id = :wc AND p.status IN ('planned', 'started')
    ORDER BY p.status = 'started' DESC, p.start_at, p.job_id
    LIMIT :limit
    """
)


async def dispatch_list(conn: AsyncConnection, work_center_id: str, limit: int) -> list[Any]:
    """The center's running job, then its queue in planned order."""
    rows = await conn.execute(_DISPATCH, {"wc": work_center_id, "limit": limit})
    return [dict(r._mapping) for r in rows]


_PROJECTION = text(
    """
    SELECT order_id, status, reason, quantity, planned_quantity, priority, due_at,
           projected_completion_at, lateness_minutes, late, critical
    FROM plan_order WHERE order_id = :order_id
    """
)
_ORDER_OPS = text(
    """
    SELECT job_id, seq, operation, work_center_group, work_center_id, start_at, end_at, status,
           material_status, rework
    FROM plan_operation WHERE order_id = :order_id ORDER BY position
    """
)


async def projection(conn: AsyncConnection, order_id: str) -> dict[str, Any] | None:
    """An order's projection with its operations in routing order."""
    row = (await conn.execute(_PROJECTION, {"order_id": order_id})).first()
    if row is None:
        return None
    ops = await conn.execute(_ORDER_OPS, {"order_id": order_id})
    return dict(row._mapping) | {"operations": [dict(r._mapping) for r in ops]}


_JOB_FACTS = text(
    """
    SELECT p.job_id, p.order_id, p.seq, p.status, p.work_center_group AS "group", p.quantity,
           p.work_center_id AS planned_center, p.start_at AS planned_start_at, p.setup_minutes,
           p.run_minutes_per_unit, p.material_status = 'short' AS material_short,
           pred.seq AS predecessor_seq,
           pred.job_id IS NULL OR pred.status = 'completed' OR pj.status = 'completed'
               AS predecessor_done
    FROM plan_operation p
    LEFT JOIN plan_operation pred ON pred.order_id = p.order_id AND pred.position = p.position - 1
    LEFT JOIN job pj ON pj.job_id = pred.job_id
    WHERE p.job_id = :job_id
    """
)
_CENTER_FACTS = text(
    """
    SELECT w.work_center_id, w.work_center_group AS "group", w.efficiency,
           w.status = 'down' AS down,
           (SELECT j.job_id FROM job j WHERE j.work_center_id = w.work_center_id
              AND j.status = 'started' ORDER BY j.started_at LIMIT 1) AS running
    FROM work_center w WHERE w.work_center_id = :wc
    """
)
_JOB = text(
    """
    SELECT job_id, order_id, seq, work_center_id, status, operator, terminal, started_at,
           planned_start_at, override_by, overridden, completed_at, completed_by, good_quantity,
           scrap_quantity, actual_minutes, standard_minutes
    FROM job WHERE job_id = :job_id
    """
)


async def job_facts(conn: AsyncConnection, job_id: str) -> JobFacts | None:
    """What the plan says about a job's operation, and whether its predecessor is done."""
    row = (await conn.execute(_JOB_FACTS, {"job_id": job_id})).first()
    return None if row is None else JobFacts(**row._mapping)


async def center_facts(conn: AsyncConnection, work_center_id: str) -> Center | None:
    row = (await conn.execute(_CENTER_FACTS, {"wc": work_center_id})).first()
    return None if row is None else Center(**row._mapping)


async def job(conn: AsyncConnection, job_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(_JOB, {"job_id": job_id})).first()
    return None if row is None else dict(row._mapping)


async def kpi_inputs(
    conn: AsyncConnection, start: datetime, end: datetime, now: datetime
) -> tuple[list[kpi.CenterRow], list[kpi.Downtime], list[kpi.JobRow], list[kpi.Planned]]:
    """Centers, downtime overlapping the period, jobs started or completed in it, and the
    planned and running operations (for planned utilisation and queues)."""
    centers = [
        kpi.CenterRow(r.work_center_id, None if r.calendar is None else ShiftCalendar(**r.calendar))
        for r in await conn.execute(text("SELECT work_center_id, calendar FROM work_center"))
    ]
    q = text(
        "SELECT work_center_id, down_at, coalesce(up_at, :now) AS up_at FROM downtime"
        " WHERE down_at < :end AND coalesce(up_at, :now) > :start"
    )
    down = [
        kpi.Downtime(*r) for r in await conn.execute(q, {"start": start, "end": end, "now": now})
    ]
    q = text(
        "SELECT work_center_id, order_id, started_at, planned_start_at, completed_at,"
        " coalesce(good_quantity, 0), coalesce(scrap_quantity, 0), coalesce(actual_minutes, 0),"
        " coalesce(standard_minutes, 0) FROM job"
        " WHERE (started_at >= :start AND started_at < :end)"
        "    OR (completed_at >= :start AND completed_at < :end)"
    )
    jobs = [kpi.JobRow(*r) for r in await conn.execute(q, {"start": start, "end": end})]
    q = text(
        "SELECT work_center_id, start_at, end_at, status FROM plan_operation"
        " WHERE status IN ('planned', 'started') AND work_center_id IS NOT NULL"
    )
    planned = [kpi.Planned(*r) for r in await conn.execute(q)]
    return centers, down, jobs, planned
