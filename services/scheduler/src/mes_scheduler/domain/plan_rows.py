"""What the planner publishes and stores for a step: events and read-model rows (pure).

Events are per input (each ScheduleRevised names its cause); read-model rows are owed per
transaction: an order several inputs of one consumer batch touch is written once, at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from mes_events.catalog.scheduler import (
    OperationRef,
    OrderProjected,
    PlannedOperation,
    ScheduleRevised,
)
from mes_events.registry import DomainEvent
from mes_scheduler.domain.critical import critical_operations
from mes_scheduler.domain.plan_state import PlanState
from mes_scheduler.domain.plan_step import Step, completion, order_of

Row = dict[str, Any]
# A completed step's actual start and end minute and the center it ran on.
Actual = tuple[int, int, str]


@dataclass
class Unwritten:
    """The read-model rows the inputs of one transaction owe: which orders, and the actual
    times of the steps they completed (written once, with them)."""

    orders: set[str] = field(default_factory=set)
    actuals: dict[str, Actual] = field(default_factory=dict)

    def add(self, step: Step) -> None:
        self.orders |= step.touched
        self.actuals.update(actuals_of(step))


def actuals_of(step: Step) -> dict[str, Actual]:
    """The steps `step` completed, with their actual times and center."""
    before = step.before.slots
    return {op: (start, end, before[op].work_center) for op, (start, end) in step.actuals.items()}


def _ref(state: PlanState, step: Step, op: str) -> tuple[str, int]:
    order_id = order_of(step.before, state.plan, op)
    seq = state.orders[order_id].seq_of(op)
    assert seq is not None, op
    return order_id, seq


def events(state: PlanState, step: Step, plan_id: str, caused_by: UUID | None) -> list[DomainEvent]:
    """ScheduleRevised for what moved (if anything did), then OrderProjected per order."""
    out: list[DomainEvent] = []
    changed: list[PlannedOperation] = []
    removed: list[OperationRef] = []
    axis = state.axis
    for c in step.diff.changes:
        order_id, seq = _ref(state, step, c.op_id)
        if c.after is None:
            removed.append(OperationRef(order_id=order_id, seq=seq))
        else:
            changed.append(PlannedOperation(
                order_id=order_id, seq=seq, work_center_id=c.after.work_center,
                start_at=axis.at(c.after.start), end_at=axis.at(c.after.end)))  # fmt: skip
    if changed or removed:
        out.append(ScheduleRevised(
            plan_id=plan_id, reason="repair" if caused_by else "optimization",
            caused_by=caused_by, changed=tuple(changed), removed=tuple(removed),
            revision=state.plan.revision))  # fmt: skip
    for order_id in step.projected:
        p = state.projected[order_id]
        completion = axis.at(p.completion)
        out.append(OrderProjected(
            plan_id=plan_id, order_id=order_id, projected_completion_at=completion,
            due_at=p.due_at, lateness_minutes=lateness(completion - p.due_at)))  # fmt: skip
    return out


def lateness(delta: Any) -> Decimal:
    """Signed minutes, to the hundredth."""
    return (Decimal(int(delta.total_seconds())) / 60).quantize(Decimal("0.01"))


def operation_rows(state: PlanState, step: Step) -> list[Row]:
    """Every step of every order `step` touched, as the Gantt and dispatch list show it."""
    return operation_rows_of(state, step.touched, actuals_of(step))


def operation_rows_of(
    state: PlanState, order_ids: Iterable[str], actuals: Mapping[str, Actual]
) -> list[Row]:
    """Every step of the orders, as the Gantt and dispatch list show it.

    Completed steps are written once, with their `actuals`, when they complete.
    """
    rows: list[Row] = []
    plan, axis = state.plan, state.axis
    for order_id in sorted(order_ids):
        info = state.orders.get(order_id)
        if info is None:
            continue
        late = _late(state, order_id)
        for position, seq in enumerate(info.routing):
            o = info.ops[seq]
            slot = plan.slots.get(o.op_id)
            start: int | None
            end: int | None
            wc: str | None
            if o.op_id in state.done:
                if o.op_id not in actuals:
                    continue
                start, end, wc = actuals[o.op_id]
                status = "completed"
            elif slot is not None:
                start, end, wc = slot.start, slot.end, slot.work_center
                status = "started" if o.op_id in plan.started else "planned"
            else:
                start = end = None
                wc = None
                status = "cancelled" if info.status == "cancelled" else "unplanned"
            rows.append({
                "job_id": o.op_id, "order_id": order_id, "seq": seq, "position": position,
                "operation": o.operation, "work_center_group": o.group, "rework": o.rework,
                "quantity": info.planned_quantity, "setup_minutes": o.setup_minutes,
                "run_minutes_per_unit": o.run_minutes_per_unit, "status": status,
                "work_center_id": wc,
                "start_at": None if start is None else axis.at(start),
                "end_at": None if end is None else axis.at(end),
                "late": late and status in ("planned", "started"),
                "material_status": state.material_status(order_id, seq),
            })  # fmt: skip
    return rows


def _completion_at(state: PlanState, order_id: str) -> datetime | None:
    """The plan's completion, exact: OrderProjected publishes only the moves that matter."""
    end = completion(state.plan, order_id)
    return None if end is None else state.axis.at(end)


def _late(state: PlanState, order_id: str) -> bool:
    at = _completion_at(state, order_id)
    return at is not None and at > state.orders[order_id].due_at


def order_rows(state: PlanState, step: Step) -> list[Row]:
    """The projections of the orders `step` touched."""
    return order_rows_of(state, step.touched)


def order_rows_of(state: PlanState, order_ids: Iterable[str]) -> list[Row]:
    """The order projection: completion, lateness, and the operations that decide it."""
    rows: list[Row] = []
    for order_id in sorted(order_ids):
        info = state.orders.get(order_id)
        if info is None:
            continue
        at = _completion_at(state, order_id)
        critical = [
            {"job_id": c.op_id, "seq": info.seq_of(c.op_id), "reason": c.reason}
            for c in critical_operations(state, order_id)
        ]
        rows.append({
            "order_id": order_id, "status": info.status, "reason": info.reason,
            "quantity": info.quantity, "planned_quantity": info.planned_quantity,
            "priority": info.priority, "due_at": info.due_at,
            "projected_completion_at": at,
            "lateness_minutes": None if at is None else lateness(at - info.due_at),
            "late": _late(state, order_id), "critical": critical,
        })  # fmt: skip
    return rows
