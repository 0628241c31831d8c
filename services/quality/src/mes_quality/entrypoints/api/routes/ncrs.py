"""Nonconformance reports: list, detail, raise by hand, and the disposition."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query, Response

from mes_events.auth import QUALITY_WRITE, requires
from mes_events.errors import NotFound
from mes_events.etags import etag
from mes_events.routing import service_router
from mes_quality.adapters import queries
from mes_quality.application import handlers
from mes_quality.application.idempotency import key_for
from mes_quality.domain.ncr import RaiseNonconformance
from mes_quality.entrypoints.api.deps import (
    CorrelationDep,
    IdempotencyKeyDep,
    IfMatchDep,
    QualityDep,
    ReaderDep,
    parse_cursor,
)
from mes_quality.entrypoints.api.schemas import (
    Decided,
    DispositionIn,
    NcrIn,
    NcrOut,
    NcrPage,
    Raised,
)

router = service_router(prefix="/ncrs", tags=["nonconformances"])


class NcrStatus(StrEnum):
    OPEN = "open"
    DISPOSITIONED = "dispositioned"


@router.get("", response_model=NcrPage)
async def list_ncrs(
    conn: ReaderDep,
    status: NcrStatus | None = None,
    order_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> Any:
    """NCRs in the order they were raised; follow `next_cursor` for the next page."""
    rows, next_position = await queries.ncrs(
        conn, status=status, order_id=order_id, after=parse_cursor(cursor), limit=limit
    )
    return {"ncrs": rows, "next_cursor": None if next_position is None else str(next_position)}


@router.get("/{ncr_id}", response_model=NcrOut)
async def get_ncr(ncr_id: str, conn: ReaderDep, response: Response) -> Any:
    """One NCR with its disposition once decided."""
    row = await queries.ncr(conn, ncr_id)
    if row is None:
        raise NotFound(f"nonconformance {ncr_id} not found")
    response.headers["ETag"] = etag(row["version"])
    return row


@router.post(
    "",
    status_code=201,
    response_model=Raised,
    responses={200: {"model": Raised, "description": "A retry under the same Idempotency-Key"}},
)
@requires(QUALITY_WRITE)
async def raise_ncr(
    body: NcrIn,
    q: QualityDep,
    response: Response,
    correlation: CorrelationDep,
    idempotency_key: IdempotencyKeyDep,
) -> Any:
    """Report nonconforming pieces outside an inspection (NonconformanceRaised); a `lot_id`
    asks inventory to quarantine that lot."""
    cmd = RaiseNonconformance(
        str(uuid.uuid4()),
        body.order_id,
        body.operation_seq,
        body.quantity,
        body.defect_code,
        body.description,
        body.lot_id,
    )
    key = key_for(idempotency_key, "ncrs", body.model_dump_json().encode())
    answer, replayed = await handlers.raise_nonconformance(
        q, cmd, handlers.Request(key, None, correlation)
    )
    response.headers["Location"] = f"/ncrs/{answer['ncr_id']}"
    response.headers["ETag"] = etag(answer["version"])
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return answer


@router.post("/{ncr_id}/disposition", response_model=Decided)
@requires(QUALITY_WRITE)
async def decide_disposition(
    ncr_id: str,
    body: DispositionIn,
    q: QualityDep,
    response: Response,
    correlation: CorrelationDep,
    if_match: IfMatchDep,
    idempotency_key: IdempotencyKeyDep,
) -> Any:
    """Rework (operations to insert), scrap (pieces) or use as is (justification):
    DispositionDecided, once per NCR (again is a 409)."""
    key = key_for(idempotency_key, f"disposition/{ncr_id}", body.model_dump_json().encode())
    req = handlers.Request(key, if_match, correlation)
    answer, replayed = await handlers.decide_disposition(
        q, ncr_id, body.disposition, body.decided_by, req
    )
    response.headers["ETag"] = etag(answer["version"])
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return answer
