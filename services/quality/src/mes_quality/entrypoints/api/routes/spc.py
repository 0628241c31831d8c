"""SPC: the control chart of one characteristic of a product, with capability."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Query

from mes_events.errors import NotFound
from mes_events.routing import service_router
from mes_quality.adapters import analytics
from mes_quality.domain.spc.charts import Limits, UnsupportedSubgroup
from mes_quality.domain.spc.report import Report, Subgroup, report
from mes_quality.entrypoints.api.deps import ReaderDep
from mes_quality.entrypoints.api.schemas import SpcOut

router = service_router(prefix="/spc", tags=["spc"])


@router.get("/{product}/{characteristic}", response_model=SpcOut)
async def spc_chart(
    product: str,
    characteristic: str,
    conn: ReaderDep,
    operation_seq: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="The last N samples.")] = 100,
) -> Any:
    """Individuals/moving range (sample size 1) or X̄–R chart (one inspection = one subgroup),
    out-of-control points by the four Western Electric rules, and Cp/Cpk against the
    specification limits of the latest inspection."""
    rows = await analytics.series(
        conn, product, characteristic, operation_seq=operation_seq, limit=limit
    )
    if not rows:
        raise NotFound(f"no measurements of {characteristic} for product {product}")
    spec = next(c for c in rows[-1]["characteristics"] if c["name"] == characteristic)
    lower, upper = (None if spec[k] is None else float(spec[k]) for k in ("lower", "upper"))
    series = [
        Subgroup(r["inspection_id"], r["inspected_at"], tuple(float(v) for v in r["values"]))
        for r in rows
    ]
    try:
        result = report(series, lower, upper)
    except UnsupportedSubgroup as exc:
        problem = {"loc": ["path", "characteristic"], "msg": str(exc), "type": "value_error"}
        raise HTTPException(422, [problem]) from exc
    return {
        "product": product,
        "characteristic": characteristic,
        "operation_seq": operation_seq,
        "specification": {
            "lower": lower,
            "upper": upper,
            "nominal": float(spec["nominal"]),
            "unit": spec["unit"],
        },
        **_body(result),
    }


def _r(x: float | None) -> float | None:
    """10 significant digits: binary float noise (0.01643000000000061) is not information."""
    return None if x is None else float(f"{x:.10g}")


def _control(limits: Limits | None) -> dict[str, Any] | None:
    if limits is None:
        return None
    return {"lcl": _r(limits.lcl), "center": _r(limits.center), "ucl": _r(limits.ucl)}


def _body(result: Report) -> dict[str, Any]:
    c = result.chart
    points, alarms = [], []
    for i, s in enumerate(result.subgroups):
        rules, wide = c.location_rules[i], c.spread_beyond[i]
        points.append(
            {
                "index": i + 1,
                "inspection_id": s.inspection_id,
                "inspected_at": s.inspected_at,
                "value": _r(c.location[i]),
                "range": _r(c.spread[i]),
                "rules": rules,
                "range_beyond_limits": wide,
            }
        )
        if rules:
            alarms.append(
                {"index": i + 1, "inspection_id": s.inspection_id, "chart": "x", "rules": rules}
            )
        if wide:
            alarms.append(
                {"index": i + 1, "inspection_id": s.inspection_id, "chart": "range", "rules": [1]}
            )
    cap = result.capability
    return {
        "chart": c.kind,
        "subgroup_size": c.subgroup_size,
        "subgroups": len(result.subgroups),
        "excluded_subgroups": result.excluded,
        "sigma_within": _r(c.sigma),
        "points": points,
        "out_of_control": alarms,
        "x_chart": _control(c.location_limits),
        "range_chart": _control(c.spread_limits),
        "capability": None
        if cap is None
        else {"cp": _r(cap.cp), "cpk": _r(cap.cpk), "cpu": _r(cap.cpu), "cpl": _r(cap.cpl)},
    }
