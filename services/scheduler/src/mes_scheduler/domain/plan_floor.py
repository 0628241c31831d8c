"""How the shop floor changes the plan: centers registered, down and up, jobs run (pure)."""

from __future__ import annotations

from dataclasses import replace

from mes_events.catalog.scheduler import (
    JobCompleted,
    JobStarted,
    WorkCenterDown,
    WorkCenterRedefined,
    WorkCenterRegistered,
    WorkCenterUp,
)
from mes_scheduler.domain.calendars import to_planning
from mes_scheduler.domain.plan_orders import place
from mes_scheduler.domain.plan_state import PlanState, op_id
from mes_scheduler.domain.plan_step import Step, take
from mes_scheduler.planning import repair
from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.model import WorkCenter

# The API always states the expected end; older or foreign events may not.
DEFAULT_DOWN_MINUTES = 240


def center_registered(state: PlanState, e: WorkCenterRegistered, step: Step) -> None:
    """A new center joins the plant; orders parked for lack of its group are planned now."""
    plan = state.plan
    if any(wc.id == e.work_center_id for wc in plan.plant.work_centers):
        return
    calendar = to_planning(e.calendar, state.axis)
    center = WorkCenter(e.work_center_id, e.work_center_group, float(e.efficiency), calendar)
    plant = replace(plan.plant, work_centers=(*plan.plant.work_centers, center))
    # A new revision: an improver result computed on the old plant must not be adopted.
    state.plan = replace(
        plan,
        plant=plant,
        sequences={**plan.sequences, center.id: ()},
        availability={**plan.availability, center.id: Availability(calendar)},
        revision=plan.revision + 1,
    )
    for order_id in sorted(state.orders):
        info = state.orders[order_id]
        if info.status == "unplanned":
            place(state, step, info)


def center_redefined(state: PlanState, e: WorkCenterRedefined, step: Step) -> None:
    """New calendar or efficiency: the center's work is re-timed, and the unfrozen work the
    change pushes later is re-inserted (here or on another center of the group).

    The group stays the one the plan knows (the API refuses a change of group); the center's
    downtime windows stay as they are.
    """
    if not _center_of(state, e.work_center_id):
        center_registered(state, WorkCenterRegistered(**e.model_dump()), step)
        return
    plan = state.plan
    old = plan.center(e.work_center_id)
    calendar = replace(to_planning(e.calendar, state.axis), downtime=old.calendar.downtime)
    new = replace(old, efficiency=float(e.efficiency), calendar=calendar)
    if new == old:
        return
    take(state, step, repair.work_center_changed(plan, new, state.now))


def _center_of(state: PlanState, work_center_id: str) -> bool:
    return any(wc.id == work_center_id for wc in state.plan.plant.work_centers)


def center_down(state: PlanState, e: WorkCenterDown, step: Step) -> None:
    if not _center_of(state, e.work_center_id):
        return
    if e.expected_up_at is None:
        until = state.now + DEFAULT_DOWN_MINUTES
    else:
        until = max(state.axis.minute_up(e.expected_up_at), state.now + 1)
    take(state, step, repair.work_center_down(state.plan, e.work_center_id, state.now, until))


def center_up(state: PlanState, e: WorkCenterUp, step: Step) -> None:
    if _center_of(state, e.work_center_id):
        take(state, step, repair.work_center_up(state.plan, e.work_center_id, state.now))


def job_started(state: PlanState, e: JobStarted, step: Step) -> None:
    """The operation runs from its actual start, on the center it was started on."""
    op = op_id(e.order_id, e.operation_seq)
    plan = state.plan
    if op not in plan.operations or op in plan.started:
        return
    at = min(state.axis.minute(e.started_at), state.now)
    group = plan.operations[op].group
    if e.work_center_id in plan.plant.centers_of(group):
        center = e.work_center_id
    else:
        center = plan.slots[op].work_center
    take(state, step, repair.operation_started(plan, op, center, at, state.now))
    step.touched.add(e.order_id)


def job_completed(state: PlanState, e: JobCompleted, step: Step) -> None:
    """The operation leaves the plan; successors re-time from the actual end."""
    op = op_id(e.order_id, e.operation_seq)
    at = min(state.axis.minute(e.completed_at), state.now)
    if op in state.plan.operations:
        if op not in state.plan.started:
            # Completed without a start we saw: it ran until now, from now (zero length).
            take(state, step, repair.operation_started(
                state.plan, op, state.plan.slots[op].work_center, at, state.now))  # fmt: skip
        start = state.plan.started[op]
        take(state, step, repair.operation_completed(state.plan, op, max(at, start), state.now))
        step.actuals[op] = (start, max(at, start))
    state.done.add(op)
    info = state.orders.get(e.order_id)
    if info is None:
        return
    step.touched.add(e.order_id)
    if info.status == "planned" and e.order_id not in state.plan.routing:
        state.orders[e.order_id] = replace(info, status="completed")
