"""Incremental repair: one pure function per event kind, each returning plan and diff.

Deterministic and free of wall-clock: `now` arrives with the event, so replaying the
event log reproduces the plan exactly.
"""

from mes_scheduler.planning.repair_floor import (
    operation_completed,
    operation_started,
    rework_inserted,
    work_center_changed,
    work_center_down,
    work_center_up,
)
from mes_scheduler.planning.repair_orders import (
    RepairSettings,
    material_changed,
    order_added,
    order_amended,
    order_cancelled,
    plan_from_scratch,
    scrap_make_up,
)
from mes_scheduler.planning.result import RepairResult

__all__ = [
    "RepairResult",
    "RepairSettings",
    "material_changed",
    "operation_completed",
    "operation_started",
    "order_added",
    "order_amended",
    "order_cancelled",
    "plan_from_scratch",
    "rework_inserted",
    "scrap_make_up",
    "work_center_changed",
    "work_center_down",
    "work_center_up",
]
