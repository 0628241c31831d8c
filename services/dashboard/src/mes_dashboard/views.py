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


# label, unit, the service that knows it, the keys it may be named by there.
KPI_TILES: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("on_time_delivery", "On-time delivery", "%", "scheduler", ("on_time_delivery", "otd")),
    ("schedule_adherence", "Schedule adherence", "%", "scheduler", ("schedule_adherence",)),
    ("wip", "WIP (orders)", "", "scheduler", ("wip", "work_in_progress")),
    ("throughput", "Throughput", "/day", "scheduler", ("throughput", "throughput_per_day")),
    ("scrap_rate", "Scrap rate", "%", "quality", ("scrap_rate",)),
    ("first_pass_yield", "First-pass yield", "%", "quality", ("first_pass_yield", "fpy")),
)


def kpi_tiles(scheduler: Row | None, quality: Row | None) -> list[Row]:
    """The headline figures; a figure whose service did not answer is shown as unknown."""
    sources = {"scheduler": scheduler, "quality": quality}
    tiles = []
    for key, label, unit, service, names in KPI_TILES:
        source = sources[service]
        value = None if source is None else _num(_first(source, *names))
        if value is not None and unit == "%" and value <= 1:
            value *= 100  # ratios become percentages
        tiles.append({"key": key, "label": label, "value": value, "unit": unit, "source": service})
    return tiles


def oee_rows(scheduler: Row | None) -> list[Row]:
    """OEE per work center (availability x performance x quality), as percentages."""
    rows = (scheduler or {}).get("oee") or (scheduler or {}).get("work_centers") or []
    out = []
    for row in rows if isinstance(rows, list) else []:
        parts = {k: _num(row.get(k)) for k in ("oee", "availability", "performance", "quality")}
        out.append(
            {
                "work_center_id": _first(row, "work_center_id", "id"),
                **{k: (None if v is None else v * 100 if v <= 1 else v) for k, v in parts.items()},
            }
        )
    return out
