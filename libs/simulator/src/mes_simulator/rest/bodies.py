"""JSON bodies the outside world posts, built from the scenario (pure functions)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from mes_scheduler.planning.model import DAY, Calendar
from mes_simulator.catalog import MATERIALS, CenterSpec, Characteristic, Step
from mes_simulator.scenario import OrderSpec, Receipt

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes(value: float) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def _hhmm(minute_of_day: int) -> str:
    return f"{minute_of_day // 60 % 24:02d}:{minute_of_day % 60:02d}"


def calendar_body(calendar: Calendar) -> dict[str, Any] | None:
    """The scheduler's ShiftCalendar for a weekly pattern (None: always open)."""
    if calendar.always_open:
        return None
    weekly = [
        {"day": DAYS[w.start // DAY], "start": _hhmm(w.start % DAY), "end": _hhmm(w.end % DAY)}
        for w in calendar.weekly
    ]
    return {"weekly": weekly}


def work_center_body(center: CenterSpec, calendar: Calendar) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": center.id,
        "group": center.group,
        "name": f"{center.group} {center.id.rsplit('-', 1)[-1]}",
        "efficiency": _minutes(center.efficiency),
    }
    cal = calendar_body(calendar)
    if cal is not None:
        body["calendar"] = cal
    return body


def material_bodies() -> list[dict[str, Any]]:
    return [
        {"material_id": m, "description": m.replace("-", " ").title(), "unit": unit}
        for m, unit in sorted(MATERIALS.items())
    ]


def receipt_body(receipt: Receipt, run_id: str, at: datetime) -> dict[str, Any]:
    return {
        "material_id": receipt.material_id,
        "lot_id": f"{receipt.lot_id}-{run_id}",
        "quantity": format(receipt.quantity, "f"),
        "supplier": "SUPPLIER-" + receipt.material_id.split("-")[0],
        "received_at": at.isoformat(),
    }


def _characteristic(c: Characteristic) -> dict[str, Any]:
    return {
        "name": c.name,
        "nominal": format(c.nominal, "f"),
        "lower": format(c.lower, "f"),
        "upper": format(c.upper, "f"),
        "unit": c.unit,
    }


def _operation(step: Step) -> dict[str, Any]:
    body: dict[str, Any] = {
        "seq": step.seq,
        "operation": step.operation,
        "work_center_group": step.group,
        "setup_minutes": step.setup,
        "run_minutes_per_unit": _minutes(step.per_unit),
    }
    if step.inspection:
        body["inspection"] = {
            "characteristics": [_characteristic(c) for c in step.inspection],
            "sample_size": step.sample_size,
        }
    return body


def external_ref(order: OrderSpec, run_id: str) -> str:
    """The ERP's reference: unique per simulator run, so a second run makes new orders."""
    return f"{order.external_ref}-{run_id}"


def order_body(order: OrderSpec, run_id: str, due: datetime) -> dict[str, Any]:
    """POST /orders: routing, bill of materials and inspection specs of the product."""
    return {
        "external_ref": external_ref(order, run_id),
        "customer": order.customer,
        "product": order.product.id,
        "quantity": order.quantity,
        "due_date": due.isoformat(),
        "priority": order.priority,
        "routing": [_operation(s) for s in order.product.steps],
        "materials": [
            {
                "material_id": line.material_id,
                "quantity_per_unit": format(line.per_unit, "f"),
                "operation_seq": line.seq,
            }
            for line in order.product.bom
        ],
    }


def results_body(
    measured: list[tuple[str, int, Decimal]], units: dict[str, str], inspector: str, at: datetime
) -> dict[str, Any]:
    """POST /inspections/{id}/results: the values of each characteristic in sample order."""
    by_name: dict[str, list[str]] = {}
    for name, _, value in measured:
        by_name.setdefault(name, []).append(format(value, "f"))
    return {
        "inspector": inspector,
        "measurements": [
            {"characteristic": name, "values": values, "unit": units[name]}
            for name, values in by_name.items()
        ],
        "inspected_at": at.isoformat(),
    }
