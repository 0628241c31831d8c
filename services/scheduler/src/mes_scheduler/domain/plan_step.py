"""One applied input's footprint: the plan before it, what moved, which orders to rewrite."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mes_scheduler.domain.plan_state import OrderInfo, PlanState, Projection
from mes_scheduler.domain.projection_rule import EVERY_MOVE, ProjectionRule, worth_publishing
from mes_scheduler.planning.diff import Diff, diff
from mes_scheduler.planning.model import Operation, Order
from mes_scheduler.planning.plan import Plan
from mes_scheduler.planning.result import RepairResult


@dataclass
class Step:
    """Collected while an input is applied; `finish` turns it into the diff to publish."""

    before: Plan
    changed: set[str] = field(default_factory=set)
    touched: set[str] = field(default_factory=set)
    # Completed operations' actual (start, end) minutes, for the read model.
    actuals: dict[str, tuple[int, int]] = field(default_factory=dict)
    diff: Diff = field(default_factory=Diff)
    projected: list[str] = field(default_factory=list)
    # The order the input names (its projection is published on any change), if any.
    about: str | None = None


def take(state: PlanState, step: Step, result: RepairResult) -> None:
    """Adopt a repair's plan and remember what it moved."""
    state.plan = result.plan
    step.changed.update(c.op_id for c in result.diff.changes)


def weight(priority: int) -> float:
    """Priority 1 (most urgent) weighs 5, priority 5 weighs 1."""
    return float(6 - priority)


def engine_operation(state: PlanState, info: OrderInfo, seq: int) -> Operation:
    o = info.ops[seq]
    short = bool(state.short_materials(info.order_id, seq))
    return Operation(
        o.op_id,
        info.order_id,
        o.group,
        float(o.run_minutes_per_unit),
        setup=math.ceil(o.setup_minutes),
        release=state.now + state.shortage_wait if short else 0,
    )


def engine_order(state: PlanState, info: OrderInfo) -> Order:
    """The order's open steps (not yet done) as the engine's Order."""
    ops = tuple(
        engine_operation(state, info, seq)
        for seq in info.routing
        if info.ops[seq].op_id not in state.done
    )
    due = state.axis.minute(info.due_at)
    return Order(info.order_id, info.planned_quantity, due, weight(info.priority), ops)


def order_of(before: Plan, after: Plan, op: str) -> str:
    found = after.operations.get(op) or before.operations[op]
    return found.order_id


def completion(plan: Plan, order_id: str) -> int | None:
    """The minute the plan completes the order's open steps (None: nothing of it planned)."""
    ops = plan.routing.get(order_id)
    return max(plan.slots[op].end for op in ops) if ops else None


def finish(state: PlanState, step: Step, rule: ProjectionRule = EVERY_MOVE) -> Step:
    """Diff the plan and decide which orders' projections to publish again (`rule`)."""
    step.diff = diff(step.before, state.plan, step.changed)
    step.touched.update(order_of(step.before, state.plan, c.op_id) for c in step.diff.changes)
    for order_id in sorted(step.touched):
        info = state.orders.get(order_id)
        end = completion(state.plan, order_id)
        if info is None or end is None:
            state.projected.pop(order_id, None)
            continue
        new = Projection(end, info.due_at)
        last = state.projected.get(order_id)
        if worth_publishing(last, new, rule, state.axis, about=order_id == step.about):
            state.projected[order_id] = new
            step.projected.append(order_id)
    return step
