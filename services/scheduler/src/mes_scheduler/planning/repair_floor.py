"""Repairs for shop-floor events: started, completed, down / up, rework inserted."""

from __future__ import annotations

from dataclasses import replace

from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.insertion import insert, settle
from mes_scheduler.planning.model import Operation, Window, WorkCenter
from mes_scheduler.planning.plan import Draft, Plan, replace_center
from mes_scheduler.planning.result import RepairResult, finish, forget
from mes_scheduler.planning.timing import propagate


def operation_started(plan: Plan, op_id: str, work_center: str, at: int, now: int) -> RepairResult:
    """Fix the actual start (and center); it moves ahead of every unstarted operation."""
    draft = Draft(plan, now)
    seeds = draft.remove_from_sequence(op_id)
    seq = draft.sequences[work_center]
    position = sum(1 for op in seq if op in draft.started)
    draft.place_in_sequence(op_id, work_center, position)
    draft.fresh.discard(op_id)
    draft.started[op_id] = at
    propagate(draft, [op_id, *seeds, *seq[position + 1 : position + 2]])
    return finish(draft)


def operation_completed(plan: Plan, op_id: str, at: int, now: int) -> RepairResult:
    """Actual end known: the operation leaves the plan, successors re-time from `at`.

    A late end pushes the frozen work behind it in place; unfrozen work it would push is
    re-inserted (`settle`).
    """
    draft = Draft(plan, now)
    order_id = draft.operations[op_id].order_id
    draft.last_family[draft.slots[op_id].work_center] = draft.operations[op_id].family
    _, job_succ = draft.job_neighbours(op_id)
    seeds = draft.remove_from_sequence(op_id)
    if job_succ is not None:
        seeds.append(job_succ)
    for succ in seeds:
        if succ not in draft.started:
            op = draft.operations[succ]
            draft.operations[succ] = replace(op, release=max(op.release, at))
    forget(draft, op_id)
    draft.routing[order_id] = tuple(o for o in draft.routing[order_id] if o != op_id)
    if not draft.routing[order_id]:
        del draft.routing[order_id]
        del draft.orders[order_id]
    settle(draft, seeds)
    return finish(draft, [op_id])


def _set_downtime(draft: Draft, wc_id: str, downtime: tuple[Window, ...]) -> None:
    center = draft.base.center(wc_id)
    calendar = replace(center.calendar, downtime=downtime)
    draft.plant = replace_center(draft.plant, replace(center, calendar=calendar))
    draft.availability[wc_id] = Availability(calendar)


def work_center_down(plan: Plan, wc_id: str, now: int, until: int) -> RepairResult:
    """Unplanned downtime [now, until): frozen work waits, the rest may move elsewhere.

    Unfrozen work that the downtime (or the frozen work it delays) pushes is re-inserted,
    on this center after the downtime or on an alternative; nothing else moves.
    """
    draft = Draft(plan, now)
    downtime = plan.center(wc_id).calendar.downtime + (Window(now, until),)
    _set_downtime(draft, wc_id, downtime)
    seq = draft.sequences[wc_id]
    frozen = [o for o in seq if draft.is_frozen(o)]
    # Only work overlapping the downtime re-times by itself; what follows moves only if
    # pushed, and the re-timing follows pushes (re-timing every operation of the center
    # also pulled earlier the ones bounded pulls had held: good news left to the improver).
    slots = draft.slots
    hit = [o for o in seq if slots[o].end > now and slots[o].start < until]
    if until <= now:
        # An empty window re-times the whole center: callers ran it on a newly installed
        # center definition before `work_center_changed` existed.
        hit = list(seq)
    settle(draft, hit, shift_limit=0)
    return finish(draft, frozen)


def work_center_changed(plan: Plan, center: WorkCenter, now: int) -> RepairResult:
    """A center's calendar or efficiency changed (same id and group): its work re-times.

    Frozen work stays in place (later only if it must); the unfrozen work the change
    pushes is re-inserted, on this center or another of its group, as after a breakdown.
    """
    draft = Draft(plan, now)
    draft.plant = replace_center(draft.plant, center)
    draft.availability[center.id] = Availability(center.calendar)
    draft.efficiency[center.id] = center.efficiency
    seq = draft.sequences[center.id]
    frozen = [o for o in seq if draft.is_frozen(o)]
    settle(draft, list(seq), shift_limit=0)
    return finish(draft, frozen)


def _job_successors(draft: Draft, ops: list[str]) -> list[str]:
    return [s for s in (draft.attached_job_neighbours(o)[1] for o in ops) if s is not None]


def work_center_up(plan: Plan, wc_id: str, now: int) -> RepairResult:
    """The center is back at `now`: the downtime in progress (or overrun) ends here."""
    draft = Draft(plan, now)
    windows = plan.center(wc_id).calendar.downtime
    current = [w for w in windows if w.start <= now]
    if not current:
        return finish(draft)
    last = max(current, key=lambda w: (w.start, w.end))
    downtime = tuple(Window(w.start, now) if w == last else w for w in windows)
    _set_downtime(draft, wc_id, downtime)
    propagate(draft, list(draft.sequences[wc_id]))
    return finish(draft)


def rework_inserted(
    plan: Plan, operation: Operation, after_op_id: str | None, now: int
) -> RepairResult:
    """Insert a rework step into the routing after `after_op_id` (or first if it is done).

    The unfrozen steps after it are re-inserted behind it rather than right-shifted.
    """
    draft = Draft(plan, now)
    route = draft.routing[operation.order_id]
    position = route.index(after_op_id) + 1 if after_op_id in route else 0
    draft.routing[operation.order_id] = (*route[:position], operation.id, *route[position:])
    draft.operations[operation.id] = operation
    after = [o for o in route[position:] if not draft.is_frozen(o)]
    seeds: list[str] = []
    for op_id in after:
        seeds += draft.remove_from_sequence(op_id)
    for op_id in [operation.id, *after]:
        insert(draft, op_id)
    propagate(draft, [s for s in seeds if s not in after])
    return finish(draft)
