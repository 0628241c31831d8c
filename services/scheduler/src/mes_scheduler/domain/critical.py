"""Why an order ends when it does: the chain of operations that holds up its completion."""

from __future__ import annotations

from dataclasses import dataclass

from mes_scheduler.domain.plan_state import PlanState


@dataclass(frozen=True, slots=True)
class Critical:
    """An operation on the order's critical chain and what its start waits for."""

    op_id: str
    reason: str


def _binds(state: PlanState, op: str, t: int) -> bool:
    """True if `op` starts at the first working minute from `t`: `t` sets its start."""
    slot = state.plan.slots[op]
    return state.plan.availability[slot.work_center].next_working(t) == slot.start


def _holdup(state: PlanState, order_id: str, op: str) -> str:
    plan = state.plan
    slot = plan.slots[op]
    seq = plan.sequences[slot.work_center]
    i = seq.index(op)
    if i and _binds(state, op, plan.slots[seq[i - 1]].end):
        return f"queued on {slot.work_center} behind {seq[i - 1]}"
    floor = state.now + plan.plant.frozen_horizon
    release = plan.operations[op].release
    if release > floor and _binds(state, op, release):
        seq_no = state.orders[order_id].seq_of(op)
        short = seq_no is not None and state.short_materials(order_id, seq_no)
        return "material short" if short else "released later"
    if slot.start > floor and _binds(state, op, floor):
        return f"waits for {slot.work_center} to work again (shift calendar or downtime)"
    return "starts as soon as possible"


def critical_operations(state: PlanState, order_id: str) -> list[Critical]:
    """From the last open operation back: each one starts when its routing predecessor ends,
    until one that waits for something else (its queue, material, the calendar or now)."""
    plan = state.plan
    route = plan.routing.get(order_id, ())
    chain: list[Critical] = []
    for k in range(len(route) - 1, -1, -1):
        op = route[k]
        if op in plan.started:
            chain.append(Critical(op, "running"))
            break
        if k and _binds(state, op, plan.slots[route[k - 1]].end):
            chain.append(Critical(op, "waits for its predecessor"))
            continue
        chain.append(Critical(op, _holdup(state, order_id, op)))
        break
    return chain[::-1]
