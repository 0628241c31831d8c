"""Work centers: register, redefine, list, show, report down and up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Response

from mes_events.auth import (
    ADMIN,
    ANY_TERMINAL,
    CurrentPrincipal,
    ensure_terminal_scope,
    requires,
)
from mes_events.catalog.common import Code
from mes_events.catalog.scheduler import WorkCenterRedefined, WorkCenterRegistered
from mes_events.errors import NotFound
from mes_events.etags import etag, optional_if_match
from mes_events.routing import service_router
from mes_scheduler.adapters import queries
from mes_scheduler.application import work_centers as handlers
from mes_scheduler.entrypoints.api.deps import CorrelationDep, ReaderDep, SchedulerDep
from mes_scheduler.entrypoints.api.schemas import (
    DownIn,
    WorkCenterDefinitionIn,
    WorkCenterIn,
    WorkCenterOut,
)

# Registration is master data (`admin`); down and up come from the center's own terminal, or
# a manager.
router = service_router(prefix="/work-centers", tags=["work centers"])


@router.post(
    "",
    status_code=201,
    response_model=WorkCenterOut,
    responses={200: {"model": WorkCenterOut, "description": "The same registration again"}},
)
@requires(ADMIN)
async def register(
    body: WorkCenterIn, sch: SchedulerDep, correlation: CorrelationDep, response: Response
) -> Any:
    """Register a work center (WorkCenterRegistered); the identical registration again is a 200."""
    event = WorkCenterRegistered(
        work_center_id=body.id,
        name=body.name,
        work_center_group=body.group,
        plant_id=sch.settings.plant_id,
        calendar=body.calendar,
        efficiency=body.efficiency,
    )
    if not await handlers.register(sch, event, correlation):
        response.status_code = 200
    response.headers["Location"] = f"/work-centers/{body.id}"
    return await _one(sch, body.id, response)


@router.put("/{work_center_id}", response_model=WorkCenterOut)
@requires(ADMIN)
async def redefine(
    work_center_id: Code,
    body: WorkCenterDefinitionIn,
    sch: SchedulerDep,
    correlation: CorrelationDep,
    response: Response,
    if_match: Annotated[int | None, Depends(optional_if_match)],
) -> Any:
    """Replace the definition (WorkCenterRedefined); its queued work is re-planned.

    404 unknown, 412 stale If-Match, 409 another group; the same definition again changes nothing.
    """
    event = WorkCenterRedefined(
        work_center_id=work_center_id,
        name=body.name,
        work_center_group=body.group,
        plant_id=sch.settings.plant_id,
        calendar=body.calendar,
        efficiency=body.efficiency,
    )
    await handlers.redefine(sch, event, if_match, correlation)
    return await _one(sch, work_center_id, response)


@router.get("", response_model=list[WorkCenterOut])
async def list_work_centers(conn: ReaderDep) -> Any:
    """Every work center with its calendar and whether it is down."""
    return await queries.work_centers(conn)


@router.get("/{work_center_id}", response_model=WorkCenterOut)
async def show(work_center_id: str, conn: ReaderDep, response: Response) -> Any:
    """One center; its ETag is its version (If-Match of a PUT)."""
    rows = await queries.work_centers(conn, work_center_id)
    if not rows:
        raise NotFound(f"work center {work_center_id} not found")
    response.headers["ETag"] = etag(rows[0]["version"])
    return rows[0]


@router.post("/{work_center_id}/down", response_model=WorkCenterOut)
@requires(ANY_TERMINAL)
async def down(
    work_center_id: str,
    body: DownIn,
    sch: SchedulerDep,
    correlation: CorrelationDep,
    terminal: CurrentPrincipal,
) -> Any:
    """The center stopped (WorkCenterDown); its queued work is re-planned."""
    ensure_terminal_scope(terminal, work_center_id)
    await handlers.go_down(sch, work_center_id, body.reason, body.expected_minutes, correlation)
    return await _one(sch, work_center_id)


@router.post("/{work_center_id}/up", response_model=WorkCenterOut)
@requires(ANY_TERMINAL)
async def up(
    work_center_id: str, sch: SchedulerDep, correlation: CorrelationDep, terminal: CurrentPrincipal
) -> Any:
    """The center is back (WorkCenterUp)."""
    ensure_terminal_scope(terminal, work_center_id)
    await handlers.come_up(sch, work_center_id, correlation)
    return await _one(sch, work_center_id)


async def _one(sch: SchedulerDep, work_center_id: str, response: Response | None = None) -> Any:
    async with sch.uow.engine.connect() as conn:
        (row,) = await queries.work_centers(conn, work_center_id)
    if response is not None:
        response.headers["ETag"] = etag(row["version"])
    return row
