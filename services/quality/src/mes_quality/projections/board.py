"""Quality read model: inspections, their measurements (the SPC series) and NCRs.

Fed only by this service's own events, so `mes_events.projection.rebuild` can replay it from
the store. The write path applies it inline, in the transaction that appends the events, so
an answer to a POST is already visible to the next GET.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.quality import (
    DispositionDecided,
    InspectionFailed,
    InspectionPassed,
    InspectionRequested,
    NonconformanceRaised,
)
from mes_events.envelope import EventEnvelope
from mes_quality.adapters.tables import BOARD_TABLES

_REQUESTED = text(
    """
    INSERT INTO inspection_v1 (inspection_id, position, order_id, operation_seq, job_id, product,
        work_center_id, batch_quantity, sample_size, characteristics, status, requested_at,
        version)
    VALUES (:inspection_id, :position, :order_id, :operation_seq, :job_id, :product,
        :work_center_id, :batch_quantity, :sample_size, CAST(:characteristics AS jsonb), 'open',
        :at, :version)
    ON CONFLICT (inspection_id) DO NOTHING
    """
)
_JUDGED = text(
    """
    UPDATE inspection_v1 SET status = :status, inspector = :inspector,
        inspected_at = :inspected_at, result_position = :position,
        measurements = CAST(:measurements AS jsonb),
        failed_characteristics = CAST(:failed AS text[]), failed_count = :failed_count,
        defect_codes = CAST(:defect_codes AS text[]), version = :version
    WHERE inspection_id = :inspection_id AND version < :version
    RETURNING product
    """
)
_MEASURED = text(
    """
    INSERT INTO measurement_v1 (inspection_id, characteristic, sample, value, product,
        operation_seq, inspected_at, result_position)
    SELECT :inspection_id, m.characteristic, m.sample, m.value, :product, :operation_seq,
        :inspected_at, :position
    FROM unnest(CAST(:characteristics AS text[]), CAST(:samples AS int[]),
                CAST(:values AS numeric[])) AS m(characteristic, sample, value)
    ON CONFLICT DO NOTHING
    """
)
_RAISED = text(
    """
    INSERT INTO ncr_v1 (ncr_id, position, order_id, operation_seq, quantity, defect_code,
        description, inspection_id, lot_id, status, raised_at, version)
    VALUES (:ncr_id, :position, :order_id, :operation_seq, :quantity, :defect_code,
        :description, :inspection_id, :lot_id, 'open', :at, :version)
    ON CONFLICT (ncr_id) DO NOTHING
    """
)
_NCR_OF_INSPECTION = text(
    "UPDATE inspection_v1 SET ncr_id = :ncr_id WHERE inspection_id = :inspection_id"
)
_DECIDED = text(
    """
    UPDATE ncr_v1 SET status = 'dispositioned', disposition = CAST(:disposition AS jsonb),
        decided_by = :decided_by, decided_at = :at, version = :version
    WHERE ncr_id = :ncr_id AND version < :version
    """
)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class QualityBoard:
    """Inspections, measurements and NCRs, one row each, from the quality store."""

    name = "quality_board_v1"

    @property
    def tables(self) -> Sequence[Table]:
        return BOARD_TABLES

    async def __call__(self, conn: AsyncConnection, env: EventEnvelope) -> None:
        if not env.event_type.startswith("quality."):
            return
        event = env.payload()
        base = {"position": env.position, "version": env.stream_version, "at": env.occurred_at}
        match event:
            case InspectionRequested():
                await conn.execute(_REQUESTED, base | _requested(event))
            case InspectionPassed() | InspectionFailed():
                await _judged(conn, env, event, base)
            case NonconformanceRaised():
                row = event.model_dump(exclude={"ncr_id"}) | {"ncr_id": event.ncr_id}
                await conn.execute(_RAISED, base | row)
                if event.inspection_id is not None:
                    ids = {"ncr_id": event.ncr_id, "inspection_id": event.inspection_id}
                    await conn.execute(_NCR_OF_INSPECTION, ids)
            case DispositionDecided():
                disposition = _json(event.disposition.model_dump(mode="json"))
                await conn.execute(
                    _DECIDED,
                    base
                    | {
                        "ncr_id": event.ncr_id,
                        "disposition": disposition,
                        "decided_by": event.decided_by,
                    },
                )


def _requested(e: InspectionRequested) -> dict[str, Any]:
    return {
        "inspection_id": e.inspection_id,
        "order_id": e.order_id,
        "operation_seq": e.operation_seq,
        "job_id": e.job_id,
        "product": e.product,
        "work_center_id": e.work_center_id,
        "batch_quantity": e.batch_quantity,
        "sample_size": e.spec.sample_size,
        "characteristics": _json([c.model_dump(mode="json") for c in e.spec.characteristics]),
    }


async def _judged(
    conn: AsyncConnection,
    env: EventEnvelope,
    e: InspectionPassed | InspectionFailed,
    base: dict[str, Any],
) -> None:
    failed = isinstance(e, InspectionFailed)
    row = {
        "inspection_id": e.inspection_id,
        "status": "failed" if failed else "passed",
        "inspector": e.inspector,
        "inspected_at": e.inspected_at,
        "measurements": _json([m.model_dump(mode="json") for m in e.measurements]),
        "failed": list(e.failed_characteristics) if isinstance(e, InspectionFailed) else [],
        "failed_count": (e.failed_count or 0) if isinstance(e, InspectionFailed) else 0,
        "defect_codes": list(e.defect_codes),
    }
    updated = (await conn.execute(_JUDGED, base | row)).first()
    if updated is None:
        return  # already applied (the version guard) or a request this store never had
    await conn.execute(
        _MEASURED,
        {
            "inspection_id": e.inspection_id,
            "product": updated[0],
            "operation_seq": e.operation_seq,
            "inspected_at": e.inspected_at,
            "position": env.position,
            "characteristics": [m.characteristic for m in e.measurements],
            "samples": [m.sample for m in e.measurements],
            "values": [m.value for m in e.measurements],
        },
    )
