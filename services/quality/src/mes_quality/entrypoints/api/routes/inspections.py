"""Inspections: the open list per work center, details, and recording results."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query, Response

from mes_events.auth import QUALITY_WRITE, requires
from mes_events.errors import NotFound
from mes_events.etags import etag
from mes_events.routing import service_router
from mes_quality.adapters import queries
from mes_quality.application import handlers, streams
from mes_quality.application.idempotency import key_for
from mes_quality.domain.inspection import RecordResults
from mes_quality.domain.judgement import Sample
from mes_quality.entrypoints.api.deps import (
    CorrelationDep,
    IdempotencyKeyDep,
    IfMatchDep,
    QualityDep,
    ReaderDep,
    parse_cursor,
)
from mes_quality.entrypoints.api.schemas import InspectionOut, InspectionPage, Judged, ResultsIn

router = service_router(prefix="/inspections", tags=["inspections"])


class InspectionStatus(StrEnum):
    OPEN = "open"
    PASSED = "passed"
    FAILED = "failed"


@router.get("", response_model=InspectionPage)
async def list_inspections(
    conn: ReaderDep,
    status: InspectionStatus | None = None,
    work_center: Annotated[str | None, Query(max_length=64)] = None,
    order_id: Annotated[str | None, Query(max_length=64)] = None,
    product: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> Any:
    """Inspections in the order they were requested; `status=open&work_center=` is the
    inspector's work list. Follow `next_cursor` for the next page."""
    rows, next_position = await queries.inspections(
        conn,
        status=status,
        work_center_id=work_center,
        order_id=order_id,
        product=product,
        after=parse_cursor(cursor),
        limit=limit,
    )
    return {"inspections": rows, "next_cursor": _cursor(next_position)}


def _cursor(position: int | None) -> str | None:
    return None if position is None else str(position)


@router.get("/{inspection_id}", response_model=InspectionOut)
async def get_inspection(inspection_id: str, conn: ReaderDep, response: Response) -> Any:
    """One inspection: its plan, and its measurements and verdict once recorded."""
    row = await queries.inspection(conn, inspection_id)
    if row is None:
        raise NotFound(f"inspection {inspection_id} not found")
    response.headers["ETag"] = etag(row["version"])
    return row


@router.post("/{inspection_id}/results", response_model=Judged)
@requires(QUALITY_WRITE)
async def record_results(
    inspection_id: str,
    body: ResultsIn,
    q: QualityDep,
    response: Response,
    correlation: CorrelationDep,
    if_match: IfMatchDep,
    idempotency_key: IdempotencyKeyDep,
) -> Any:
    """Judge the sample against the limits (inclusive): InspectionPassed, or InspectionFailed
    with a NonconformanceRaised. Results are recorded once: again is a 409."""
    cmd = RecordResults(
        inspection_id=inspection_id,
        samples=[Sample(m.characteristic, tuple(m.values), m.unit) for m in body.measurements],
        inspector=body.inspector,
        inspected_at=body.inspected_at or q.clock(),
        ncr_id=streams.ncr_id_for(inspection_id),
        defect_codes=tuple(body.defect_codes),
        lot_id=body.lot_id,
    )
    key = key_for(idempotency_key, f"results/{inspection_id}", body.model_dump_json().encode())
    req = handlers.Request(key, if_match, correlation)
    answer, replayed = await handlers.record_results(q, cmd, req)
    response.headers["ETag"] = etag(answer["version"])
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer
