"""The plan as published: the Gantt, and a work center's dispatch list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Response

from mes_events.errors import NotFound
from mes_events.routing import service_router
from mes_scheduler.adapters import queries
from mes_scheduler.domain.dispatch import annotate
from mes_scheduler.entrypoints.api.deps import ReaderDep, SchedulerDep
from mes_scheduler.entrypoints.api.schemas import DispatchItem, ScheduledOperation

router = service_router(tags=["schedule"])

From = Annotated[datetime | None, Query(alias="from")]


@router.get("/schedule", response_model=list[ScheduledOperation])
async def schedule(
    conn: ReaderDep,
    sch: SchedulerDep,
    response: Response,
    start: From = None,
    to: datetime | None = None,
    work_center: Annotated[str | None, Query(max_length=64)] = None,
) -> Any:
    """Gantt data: operations overlapping [from, to), per work center in start order.

    Served from the published plan's table, written in the transaction of each
    ScheduleRevised: what this returns is always a plan some revision published.
    """
    async with conn.begin():
        # One snapshot for both reads: the revision header matches the rows.
        response.headers["X-Plan-Revision"] = str(
            await queries.plan_revision(conn, sch.settings.plant_id)
        )
        return await queries.schedule(conn, start, to, work_center)


@router.get("/work-centers/{work_center_id}/dispatch-list", response_model=list[DispatchItem])
async def dispatch_list(
    work_center_id: str, conn: ReaderDep, limit: Annotated[int, Query(ge=1, le=500)] = 20
) -> Any:
    """The running job and the next jobs in planned order, with material status and what to do."""
    if not await queries.work_centers(conn, work_center_id):
        raise NotFound(f"work center {work_center_id} not found")
    return annotate(await queries.dispatch_list(conn, work_center_id, limit))
