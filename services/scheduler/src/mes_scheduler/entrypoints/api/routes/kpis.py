"""KPIs a production manager reviews: OEE per center, adherence, labour, the bottleneck."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import HTTPException, Query

from mes_events.routing import service_router
from mes_scheduler.adapters import queries
from mes_scheduler.domain import kpi
from mes_scheduler.entrypoints.api.deps import ReaderDep, SchedulerDep
from mes_scheduler.entrypoints.api.schemas import KpisOut

router = service_router(tags=["kpis"])


@router.get("/kpis", response_model=KpisOut, response_model_by_alias=True)
async def kpis(
    conn: ReaderDep,
    sch: SchedulerDep,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    to: datetime | None = None,
) -> Any:
    """Per work center over [from, to) (default: the last 7 days): availability, performance,
    quality, OEE, utilisation, schedule adherence; labour per order; the bottleneck."""
    now = sch.clock()
    end = to or now
    begin = start or end - timedelta(days=7)
    if begin >= end:
        raise HTTPException(422, [{"loc": ["query", "from"], "msg": "from must be before to",
                                   "type": "value_error"}])  # fmt: skip
    centers, down, jobs, planned = await queries.kpi_inputs(conn, begin, end, now)
    per_center, labour = kpi.compute(begin, end, centers, down, jobs, planned)
    top = kpi.bottleneck(per_center)
    return {
        "from": begin,
        "to": end,
        "work_centers": [
            {**vars(k), "available_minutes": k.available_minutes, **k.ratios()} for k in per_center
        ],
        "orders": [
            {"order_id": o, "standard_minutes": s, "actual_minutes": a, "variance_minutes": a - s}
            for o, (s, a) in sorted(labour.items())
        ],
        "bottleneck": top.work_center_id if top is not None else None,
    }
