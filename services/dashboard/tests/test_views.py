"""The panels' shaping of the services' replies (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mes_dashboard import views
from mes_dashboard.streams import decode_id, encode_id

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def op(order: str, wc: str, status: str = "planned", late: bool = False) -> dict[str, object]:
    return {
        "job_id": f"{order}-10",
        "order_id": order,
        "seq": 10,
        "operation": "turn",
        "work_center_id": wc,
        "start_at": "2026-11-23T09:00:00Z",
        "end_at": "2026-11-23T10:00:00Z",
        "status": status,
        "late": late,
    }


def test_operations_become_bars_and_unplanned_ones_are_left_out() -> None:
    unplanned = {**op("o-2", "L-1"), "start_at": None}
    bars = views.gantt_operations([op("o-1", "L-1", "started", True), unplanned])
    assert bars == [
        {
            "order_id": "o-1",
            "seq": 10,
            "operation": "turn",
            "work_center_id": "L-1",
            "start_at": "2026-11-23T09:00:00Z",
            "end_at": "2026-11-23T10:00:00Z",
            "status": "started",
            "late": True,
        }
    ]


def test_rows_include_centers_the_plan_names_and_down_centers_get_a_band() -> None:
    centers: list[dict[str, Any]] = [
        {"id": "L-1", "name": "Lathe 1", "group": "LATHE", "status": "up"},
        {
            "id": "M-1",
            "name": "Mill 1",
            "group": "MILL",
            "status": "down",
            "down_reason": "spindle",
            "down_at": "2026-11-23T07:30:00Z",
            "expected_up_at": None,
        },
    ]
    rows = views.work_center_rows(centers, views.gantt_operations([op("o-1", "X-9")]))
    assert [r["id"] for r in rows] == ["X-9", "L-1", "M-1"]
    assert views.downtime_bands(centers, NOW) == [
        {
            "work_center_id": "M-1",
            "from": "2026-11-23T07:30:00Z",
            "to": None,
            "open_ended": True,
            "reason": "spindle",
        }
    ]


def test_at_risk_orders_say_why_worst_first() -> None:
    orders = [
        {"order_id": "o-1", "lateness_minutes": "30", "customer": "A", "due_date": "x"},
        {"order_id": "o-2", "lateness_minutes": "240.5", "customer": "B", "due_date": "y"},
    ]
    shortages = [{"order_id": "o-2", "material_id": "STEEL", "short": "12", "operation_seq": 10}]
    projections = {
        "o-2": {
            "operations": [{**op("o-2", "M-1"), "status": "planned"}],
            "critical": [{"job_id": "j", "seq": 20, "reason": "bottleneck GRINDER"}],
            "reason": None,
        }
    }
    down = [{"work_center_id": "M-1", "reason": "spindle"}]
    rows = views.at_risk_rows(orders, shortages, projections, down)
    assert [r["order_id"] for r in rows] == ["o-2", "o-1"]
    assert rows[0]["lateness_minutes"] == 240.5
    assert rows[0]["reasons"] == [
        "material STEEL short 12 (op 10)",
        "op 10 waits for M-1 (down: spindle)",
        "op 20: bottleneck GRINDER",
    ]
    assert rows[1]["reasons"] == ["the plan's capacity finishes it after the due date"]


def test_kpis_turn_ratios_into_percent_and_unknown_sources_into_none() -> None:
    tiles = {t["key"]: t for t in views.kpi_tiles({"on_time_delivery": "0.875", "wip": 7}, None)}
    assert tiles["on_time_delivery"]["value"] == 87.5
    assert tiles["wip"]["value"] == 7
    assert tiles["first_pass_yield"]["value"] is None


def test_merged_stream_ids_round_trip_and_ignore_strangers() -> None:
    cursors = {"orders": "812-40", "inventory": "90-7"}
    raw = encode_id(cursors)
    assert raw == "inventory=90-7;orders=812-40"
    services = ("orders", "scheduler", "quality", "inventory")
    assert decode_id(raw, services) == cursors
    assert decode_id("orders=1-2;evil=3-4;junk;quality=", services) == {"orders": "1-2"}
    assert decode_id(None, services) == {}
