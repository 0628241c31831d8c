"""What each panel shows, shaped from the services' replies (pure functions, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

Row = dict[str, Any]


def _num(value: Any) -> float | None:
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _first(row: Row, *keys: str) -> Any:
    for key in keys:
        if row.get(key) is not None:
            return row[key]
    return None


def gantt_operations(items: Iterable[Row]) -> list[Row]:
    """Planned operations as bars: where, when, what state, late or not."""
    bars: list[Row] = []
    for item in items:
        start = _first(item, "start_at", "planned_start")
        end = _first(item, "end_at", "planned_end")
        if start is None or end is None:
            continue
        bars.append(
            {
                "order_id": item.get("order_id"),
                "seq": _first(item, "seq", "operation_seq"),
                "operation": _first(item, "operation", "operation_name") or "",
                "work_center_id": _first(item, "work_center_id", "work_center"),
                "start_at": start,
                "end_at": end,
                "status": item.get("status") or "planned",
                "late": bool(item.get("late")),
            }
        )
    return bars


def downtime_bands(work_centers: Iterable[Row], now: datetime) -> list[Row]:
    """A band from when each down work center stopped to when it is expected back."""
    bands = []
    for wc in work_centers:
        if wc.get("status") != "down":
            continue
        start = wc.get("down_at") or now.isoformat()
        end = wc.get("expected_up_at")
        bands.append(
            {
                "work_center_id": wc.get("id"),
                "from": start,
                "to": end,
                "open_ended": end is None,
                "reason": wc.get("down_reason") or "",
            }
        )
    return bands


def work_center_rows(work_centers: Iterable[Row], bars: Iterable[Row]) -> list[Row]:
    """The Gantt's rows: every registered work center, plus any the plan names beyond them."""
    rows = [
        {
            "id": wc.get("id"),
            "name": wc.get("name") or wc.get("id"),
            "group": wc.get("group"),
            "status": wc.get("status", "up"),
        }
        for wc in work_centers
    ]
    known = {r["id"] for r in rows}
    for bar in bars:
        if bar["work_center_id"] not in known:
            known.add(bar["work_center_id"])
            rows.append({"id": bar["work_center_id"], "name": bar["work_center_id"]})
    return sorted(rows, key=lambda r: (str(r.get("group") or ""), str(r["id"])))


def at_risk_rows(
    orders: Iterable[Row],
    shortages: Iterable[Row],
    projections: dict[str, Row],
    down: Iterable[Row],
) -> list[Row]:
    """Orders projected late, each with how late and the reasons the other services know."""
    reasons: dict[str, list[str]] = {}
    for s in shortages:
        reasons.setdefault(str(s.get("order_id")), []).append(
            f"material {s.get('material_id')} short {s.get('short')} (op {s.get('operation_seq')})"
        )
    down_reason = {str(b["work_center_id"]): b.get("reason") or "down" for b in down}
    for order_id, projection in projections.items():
        mine = reasons.setdefault(order_id, [])
        for op in projection.get("operations") or []:
            wc = op.get("work_center_id")
            if wc in down_reason and op.get("status") not in ("completed", "cancelled"):
                mine.append(f"op {op.get('seq')} waits for {wc} (down: {down_reason[wc]})")
        for critical in projection.get("critical") or []:
            mine.append(f"op {critical.get('seq')}: {critical.get('reason')}")
        if projection.get("reason"):
            mine.append(str(projection["reason"]))
    rows = []
    for order in orders:
        oid = str(order.get("order_id"))
        why = list(dict.fromkeys(reasons.get(oid, [])))
        lateness = _num(order.get("lateness_minutes"))
        if not why and lateness is not None and lateness > 0:
            why.append("the plan's capacity finishes it after the due date")
        rows.append(
            {
                "order_id": oid,
                "external_ref": order.get("external_ref"),
                "customer": order.get("customer"),
                "product": order.get("product"),
                "priority": order.get("priority"),
                "due_at": _first(order, "due_date", "due_at"),
                "projected_completion_at": order.get("projected_completion_at"),
                "lateness_minutes": lateness,
                "reasons": why,
            }
        )
    return sorted(rows, key=lambda r: -(r["lateness_minutes"] or 0))


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def scheduler_figures(body: Row | None) -> Row:
    """OEE per work center, schedule adherence and scrap rate from the scheduler's KPIs."""
    centers = (body or {}).get("work_centers") or []
    good = sum(int(c.get("good") or 0) for c in centers)
    scrap = sum(int(c.get("scrap") or 0) for c in centers)
    return {
        "oee": [
            {
                "work_center_id": c.get("work_center_id"),
                **{k: _num(c.get(k)) for k in ("oee", "availability", "performance", "quality")},
            }
            for c in centers
        ],
        # Centers without started jobs have no adherence; the others count alike.
        "schedule_adherence": _mean(_num(c.get("adherence")) for c in centers),
        "scrap_rate": _ratio(scrap, good + scrap),
        "bottleneck": (body or {}).get("bottleneck"),
    }


def quality_figures(body: Row | None) -> Row:
    """First-pass yield over every product, and the defect Pareto, from quality's KPIs."""
    by_product = ((body or {}).get("first_pass_yield") or {}).get("by_product") or []
    passed = sum(int(r.get("passed") or 0) for r in by_product)
    inspections = sum(int(r.get("inspections") or 0) for r in by_product)
    return {
        "first_pass_yield": _ratio(passed, inspections),
        "pareto": (body or {}).get("defect_pareto") or [],
    }


def order_figures(completed: Iterable[Row], in_progress: int, since: datetime, days: float) -> Row:
    """On-time delivery and throughput of orders completed since `since`, and the WIP."""
    recent = [o for o in completed if o.get("completed_at") and _at(o["completed_at"]) >= since]
    on_time = sum(1 for o in recent if o.get("on_time"))
    return {
        "on_time_delivery": _ratio(on_time, len(recent)),
        "throughput": len(recent) / days if days else None,
        "wip": in_progress,
    }


def _at(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


# key, label, unit, the service the figure comes from.
KPI_TILES: tuple[tuple[str, str, str, str], ...] = (
    ("on_time_delivery", "On-time delivery (7 d)", "%", "orders"),
    ("schedule_adherence", "Schedule adherence", "%", "scheduler"),
    ("wip", "WIP (orders in progress)", "", "orders"),
    ("throughput", "Throughput (orders/day)", "", "orders"),
    ("scrap_rate", "Scrap rate", "%", "scheduler"),
    ("first_pass_yield", "First-pass yield", "%", "quality"),
)


def kpi_tiles(figures: Row) -> list[Row]:
    """The headline figures, ratios as percentages; None where the source did not answer."""
    tiles = []
    for key, label, unit, service in KPI_TILES:
        value = _num(figures.get(key))
        if value is not None and unit == "%":
            value *= 100
        tiles.append({"key": key, "label": label, "value": value, "unit": unit, "source": service})
    return tiles
