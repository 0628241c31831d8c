"""How order, material and quality events change the plan (pure; the planner calls these)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from mes_events.catalog.inventory import MaterialReserved, MaterialShortage
from mes_events.catalog.orders import OrderAmended, OrderCancelled, OrderReceived
from mes_events.catalog.quality import DispositionDecided, Rework, Scrap
from mes_scheduler.domain.plan_state import OpInfo, OrderInfo, PlanState, op_id
from mes_scheduler.domain.plan_step import Step, engine_order, take, weight
from mes_scheduler.planning import repair
from mes_scheduler.planning.model import Operation


def order_received(state: PlanState, e: OrderReceived, step: Step) -> None:
    """A new order: planned at once when every group it names has a work center."""
    if e.order_id in state.orders:
        return
    ops = {
        r.seq: OpInfo(
            r.seq,
            op_id(e.order_id, r.seq),
            r.operation,
            r.work_center_group,
            r.setup_minutes,
            r.run_minutes_per_unit,
            tuple(sorted({m.material_id for m in e.materials if m.operation_seq == r.seq})),
        )
        for r in e.routing
    }
    info = OrderInfo(
        e.order_id, e.quantity, e.due_at, e.priority, tuple(sorted(ops)), ops, e.quantity
    )
    place(state, step, info)


def place(state: PlanState, step: Step, info: OrderInfo) -> None:
    """Put an order (its open steps) into the plan, or park it until its groups have centers."""
    step.touched.add(info.order_id)
    missing = sorted({o.group for o in info.ops.values()} - _groups(state))
    if missing:
        reason = f"no work center in group {', '.join(missing)}"
        state.orders[info.order_id] = replace(info, status="unplanned", reason=reason)
        return
    order = engine_order(state, info)
    state.orders[info.order_id] = replace(info, status="planned", reason=None)
    if order.operations:
        take(state, step, repair.order_added(state.plan, order, state.now))


def _groups(state: PlanState) -> set[str]:
    return {wc.group for wc in state.plan.plant.work_centers}


def _in_plan(state: PlanState, order_id: str) -> bool:
    return order_id in state.plan.routing


def order_amended(state: PlanState, e: OrderAmended, step: Step) -> None:
    info = state.orders.get(e.order_id)
    if info is None or info.status in ("completed", "cancelled"):
        return
    quantity = e.quantity if e.quantity is not None else info.quantity
    planned = max(1, info.planned_quantity + quantity - info.quantity)
    new = replace(
        info,
        quantity=quantity,
        planned_quantity=planned,
        due_at=e.due_at or info.due_at,
        priority=e.priority or info.priority,
    )
    state.orders[e.order_id] = new
    step.touched.add(e.order_id)
    if _in_plan(state, e.order_id):
        result = repair.order_amended(
            state.plan,
            e.order_id,
            state.now,
            quantity=planned if planned != info.planned_quantity else None,
            due=state.axis.minute(new.due_at) if e.due_at is not None else None,
            weight=weight(new.priority) if e.priority is not None else None,
        )
        take(state, step, result)


def order_cancelled(state: PlanState, e: OrderCancelled, step: Step) -> None:
    info = state.orders.get(e.order_id)
    if info is None or info.status == "cancelled":
        return
    if _in_plan(state, e.order_id):
        take(state, step, repair.order_cancelled(state.plan, e.order_id, state.now))
    state.orders[e.order_id] = replace(info, status="cancelled", reason=e.reason)
    for key in [k for k in state.material if k[0] == e.order_id]:
        del state.material[key]
    step.touched.add(e.order_id)


def material_changed(
    state: PlanState, e: MaterialReserved | MaterialShortage, at: datetime, step: Step
) -> None:
    """A shortage holds the operation back; the material's arrival releases it now."""
    short = isinstance(e, MaterialShortage) or bool(e.missing_quantity)
    key = (e.order_id, e.operation_seq, e.material_id)
    seen = state.material.get(key)
    if seen is not None and at < seen[1]:
        return  # an older fact that arrived late (lot and material streams interleave)
    info = state.orders.get(e.order_id)
    if info is not None and info.status == "cancelled":
        return
    was_short = bool(state.short_materials(e.order_id, e.operation_seq))
    state.material[key] = (short, at)
    if info is None or e.operation_seq not in info.ops:
        return
    step.touched.add(e.order_id)
    is_short = bool(state.short_materials(e.order_id, e.operation_seq))
    op = info.ops[e.operation_seq].op_id
    if was_short == is_short or op not in state.plan.operations or op in state.plan.started:
        return
    available = state.now + state.shortage_wait if is_short else state.now
    take(state, step, repair.material_changed(state.plan, op, available, state.now))


def disposition_decided(state: PlanState, e: DispositionDecided, step: Step) -> None:
    """Rework steps go in after the inspected operation; scrap is made up."""
    info = state.orders.get(e.order_id)
    if info is None or info.status == "cancelled":
        return
    match e.disposition:
        case Rework(operations=steps):
            after = e.operation_seq
            for s in steps:
                seq = max(info.ops) + 1
                new = OpInfo(seq, op_id(e.order_id, seq), s.operation, s.work_center_group,
                             s.minutes, Decimal(0), rework=True)  # fmt: skip
                info = info.with_op(new, after)
                _insert_rework(state, step, info, new, after)
                after = seq
        case Scrap(quantity=q):
            _make_up(state, step, info, q)
        case _:
            return


def _insert_rework(state: PlanState, step: Step, info: OrderInfo, new: OpInfo, after: int) -> None:
    state.orders[info.order_id] = info
    step.touched.add(info.order_id)
    if new.group not in _groups(state) or info.status == "unplanned":
        if _in_plan(state, info.order_id):
            take(state, step, repair.order_cancelled(state.plan, info.order_id, state.now))
        place(state, step, info)
        return
    if not _in_plan(state, info.order_id):
        place(state, step, info)  # the order had left the plan: only the rework is open
        return
    setup = math.ceil(new.setup_minutes)
    operation = Operation(new.op_id, info.order_id, new.group, 0.0, setup=setup)
    after_op = info.ops[after].op_id if after in info.ops else None
    take(state, step, repair.rework_inserted(state.plan, operation, after_op, state.now))


def _make_up(state: PlanState, step: Step, info: OrderInfo, quantity: int) -> None:
    step.touched.add(info.order_id)
    if _in_plan(state, info.order_id):
        state.orders[info.order_id] = replace(
            info, planned_quantity=info.planned_quantity + quantity
        )
        take(state, step, repair.scrap_make_up(state.plan, info.order_id, quantity, state.now))
        return
    if info.status == "unplanned":
        state.orders[info.order_id] = replace(
            info, planned_quantity=info.planned_quantity + quantity
        )
        return
    # The routing is done: the make-up runs the original routing again for the scrapped pieces.
    ops, routing = dict(info.ops), list(info.routing)
    for seq in [s for s in info.routing if not ops[s].rework and ops[s].copy_of is None]:
        fresh = max(ops) + 1
        ops[fresh] = replace(ops[seq], seq=fresh, op_id=op_id(info.order_id, fresh), copy_of=seq)
        routing.append(fresh)
    info = replace(info, ops=ops, routing=tuple(routing), planned_quantity=quantity)
    place(state, step, info)
