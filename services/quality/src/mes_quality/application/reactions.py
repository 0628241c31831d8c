"""Reactions to orders and scheduler events, inside the consumer's tracking transaction.

OrderReceived records the inspection plans of the order's operations; JobCompleted of a
planned operation requests an inspection. A completion seen before its order (topics are
read independently, so a replay or a slow orders relay can deliver it first) waits in
`pending_job` and is requested when the order arrives — never dropped.
"""

from __future__ import annotations

from uuid import UUID

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.common import InspectionSpec
from mes_events.catalog.orders import OrderReceived
from mes_events.catalog.scheduler import JobCompleted
from mes_quality.application import streams
from mes_quality.application.context import Quality
from mes_quality.domain.inspection import Plan, request_for

log = structlog.get_logger("mes.quality")

_ORDER = text(
    "INSERT INTO order_plan (order_id, product, operations)"
    " VALUES (:order_id, :product, CAST(:operations AS int[]))"
    " ON CONFLICT DO NOTHING RETURNING order_id"
)
_OPERATION = text(
    "INSERT INTO operation_plan (order_id, operation_seq, spec)"
    " VALUES (:order_id, :seq, CAST(:spec AS jsonb)) ON CONFLICT DO NOTHING"
)
_PLAN = text(
    "SELECT o.product, p.spec FROM order_plan o LEFT JOIN operation_plan p"
    " ON p.order_id = o.order_id AND p.operation_seq = :seq WHERE o.order_id = :order_id"
)
_PEND = text(
    "INSERT INTO pending_job (job_id, order_id, job, event_id, correlation_id)"
    " VALUES (:job_id, :order_id, CAST(:job AS jsonb), :event_id, :correlation_id)"
    " ON CONFLICT DO NOTHING"
)
_TAKE_PENDING = text(
    "DELETE FROM pending_job WHERE order_id = :order_id RETURNING job, event_id, correlation_id"
)


async def order_received(conn: AsyncConnection, q: Quality, e: OrderReceived) -> None:
    """Keep the order's inspection plans; request inspections for completions that waited."""
    row = {"order_id": e.order_id, "product": e.product, "operations": [op.seq for op in e.routing]}
    if not (await conn.execute(_ORDER, row)).first():
        return
    planned = [
        {"order_id": e.order_id, "seq": op.seq, "spec": op.inspection.model_dump_json()}
        for op in e.routing
        if op.inspection is not None
    ]
    if planned:
        await conn.execute(_OPERATION, planned)
    for job, event_id, correlation_id in (
        await conn.execute(_TAKE_PENDING, {"order_id": e.order_id})
    ).all():
        waited = JobCompleted.model_validate(job)
        await job_completed(conn, q, waited, event_id, correlation_id)


async def job_completed(
    conn: AsyncConnection, q: Quality, e: JobCompleted, cause: UUID, correlation: UUID
) -> None:
    """Request the inspection the operation's plan asks for (or wait for the order)."""
    found = (await conn.execute(_PLAN, {"order_id": e.order_id, "seq": e.operation_seq})).first()
    if found is None:
        job = e.model_dump_json()
        params = {
            "job_id": e.job_id,
            "order_id": e.order_id,
            "job": job,
            "event_id": cause,
            "correlation_id": correlation,
        }
        await conn.execute(_PEND, params)
        log.info("job.waits_for_order", job=e.job_id, order=e.order_id)
        return
    product, spec = found
    if spec is None:
        return  # this operation has no inspection plan
    plan = Plan(e.order_id, e.operation_seq, product, InspectionSpec.model_validate(spec))
    inspection_id = streams.inspection_id_for(e.order_id, e.operation_seq, e.job_id)
    stream = streams.inspection_stream(inspection_id)
    if await q.store.stream_version(conn, stream) > 0:
        return  # the same job reported again (a replayed topic): already requested
    requested = request_for(e, plan, inspection_id)
    if requested is not None:
        await streams.append(conn, q.store, q.meta(correlation, cause), [requested], {})
