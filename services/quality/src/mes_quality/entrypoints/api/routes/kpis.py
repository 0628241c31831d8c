"""KPIs for the production manager: first-pass yield, defect Pareto, open NCRs."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime

from mes_events.routing import service_router
from mes_quality.adapters import analytics
from mes_quality.domain.kpis import ages, pareto, ratio
from mes_quality.entrypoints.api.deps import QualityDep, ReaderDep
from mes_quality.entrypoints.api.schemas import KpisOut

router = service_router(tags=["kpis"])


@router.get("/kpis", response_model=KpisOut)
async def kpis(conn: ReaderDep, q: QualityDep, since: AwareDatetime | None = None) -> Any:
    """First-pass yield per product and work center (and each alone), the defect Pareto, and
    how many NCRs are open and for how long. `since` limits yields and defects to results
    recorded from then on."""
    groups: dict[str, list[dict[str, Any]]] = {
        "by_product_and_work_center": [],
        "by_product": [],
        "by_work_center": [],
    }
    for row in await analytics.yields(conn, since):
        key = (
            "by_work_center"
            if row["all_products"]
            else "by_product"
            if row["all_centers"]
            else "by_product_and_work_center"
        )
        groups[key].append(_yield(row))
    waited = ages(await analytics.open_ncr_times(conn), q.clock())
    return {
        "since": since,
        "first_pass_yield": groups,
        "defect_pareto": pareto(await analytics.defect_counts(conn, since)),
        "open_ncrs": {
            "count": waited.count,
            "oldest_age_hours": waited.oldest_hours,
            "mean_age_hours": waited.mean_hours,
        },
    }


def _yield(row: dict[str, Any]) -> dict[str, Any]:
    sampled, failed = int(row["sampled_pieces"]), int(row["failed_pieces"])
    return {
        "product": row["product"],
        "work_center_id": row["work_center_id"],
        "inspections": row["inspections"],
        "passed": row["passed"],
        "first_pass_yield": ratio(row["passed"], row["inspections"]),
        "sampled_pieces": sampled,
        "failed_pieces": failed,
        "piece_yield": ratio(sampled - failed, sampled),
    }
