"""The panels' shaping of the services' replies (pure functions)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from mes_dashboard import views
from mes_dashboard.config import Settings
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


def test_kpis_from_the_scheduler_quality_and_orders() -> None:
    scheduler = {
        "work_centers": [
            {"work_center_id": "L-1", "oee": 0.5, "adherence": 0.8, "good": 90, "scrap": 10},
            {"work_center_id": "M-1", "oee": None, "adherence": None, "good": 0, "scrap": 0},
        ],
        "bottleneck": "L-1",
    }
    quality = {
        "first_pass_yield": {
            "by_product": [
                {"product": "A", "inspections": 3, "passed": 3},
                {"product": "B", "inspections": 1, "passed": 0},
            ]
        },
        "defect_pareto": [{"defect_code": "BURR", "count": 2}],
    }
    since = datetime(2026, 11, 16, tzinfo=UTC)
    completed = [
        {"completed_at": "2026-11-20T10:00:00+00:00", "on_time": True},
        {"completed_at": "2026-11-21T10:00:00+00:00", "on_time": False},
        {"completed_at": "2026-11-01T10:00:00+00:00", "on_time": False},  # before the window
    ]
    s, q = views.scheduler_figures(scheduler), views.quality_figures(quality)
    o = views.order_figures(completed, 4, since, 7)
    assert s["oee"][0] == {
        "work_center_id": "L-1",
        "oee": 0.5,
        "availability": None,
        "performance": None,
        "quality": None,
    }
    assert q["pareto"] == [{"defect_code": "BURR", "count": 2}]
    tiles = {t["key"]: t["value"] for t in views.kpi_tiles({**s, **q, **o})}
    assert tiles == {
        "on_time_delivery": 50.0,
        "schedule_adherence": 80.0,
        "wip": 4,
        "throughput": 2 / 7,
        "scrap_rate": 10.0,
        "first_pass_yield": 75.0,
    }
    unknown = views.kpi_tiles({**views.scheduler_figures(None), **views.quality_figures(None)})
    assert {t["key"]: t["value"] for t in unknown}["first_pass_yield"] is None


def test_merged_stream_ids_round_trip_and_ignore_strangers() -> None:
    cursors = {"orders": "812-40", "inventory": "90-7"}
    raw = encode_id(cursors)
    assert raw == "inventory=90-7;orders=812-40"
    services = ("orders", "scheduler", "quality", "inventory")
    assert decode_id(raw, services) == cursors
    assert decode_id("orders=1-2;evil=3-4;junk;quality=", services) == {"orders": "1-2"}
    assert decode_id(None, services) == {}


def test_plant_time_follows_the_simulators_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    assert abs((Settings().now() - datetime.now(UTC)).total_seconds()) < 5
    monkeypatch.setenv("MES_CLOCK_EPOCH", "2027-01-04T00:00:00+00:00")
    monkeypatch.setenv("MES_CLOCK_SPEED", "60")
    monkeypatch.setenv("MES_CLOCK_WALL_START", repr(time.time() - 60))  # a wall minute ago
    plant = Settings().now() - datetime(2027, 1, 4, tzinfo=UTC)
    assert 59 <= plant.total_seconds() / 60 <= 62  # an hour of plant time
