"""Feasibility checker, independent of repair and improver: the oracle for every plan.

It recomputes working time from the raw Calendar (not from calendar.Availability) so a
bug in the engine's time arithmetic cannot hide itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from mes_scheduler.planning.model import WEEK, Calendar, Window, run_minutes
from mes_scheduler.planning.plan import Plan, setup_minutes


class InfeasiblePlan(AssertionError):
    """Raised by `assert_feasible` with every violation found."""


def working_minutes(calendar: Calendar, start: int, end: int) -> int:
    """Working minutes of `calendar` inside [start, end), from first principles."""
    if end <= start:
        return 0
    if calendar.always_open:
        return end - start
    pieces: list[Window] = []
    for week in range(start // WEEK, (end - 1) // WEEK + 1):
        for w in calendar.weekly:
            a, b = max(start, week * WEEK + w.start), min(end, week * WEEK + w.end)
            if a < b:
                pieces.append(Window(a, b))
    total = sum(p.end - p.start for p in pieces)
    for block in _merged(calendar.exceptions + calendar.downtime):
        for p in pieces:
            total -= max(0, min(p.end, block.end) - max(p.start, block.start))
    return total


def _longest(calendar: Calendar) -> int:
    """Longest weekly working stretch; longer non-interruptible work must be split."""
    merged = _merged(calendar.weekly)
    lengths = [w.end - w.start for w in merged] or [0]
    if len(merged) > 1 and merged[0].start == 0 and merged[-1].end == WEEK:
        lengths.append(lengths[0] + lengths[-1])
    return max(lengths)


def _merged(windows: tuple[Window, ...]) -> list[Window]:
    merged: list[Window] = []
    for w in sorted(windows, key=lambda w: (w.start, w.end)):
        if merged and w.start <= merged[-1].end:
            merged[-1] = Window(merged[-1].start, max(merged[-1].end, w.end))
        else:
            merged.append(w)
    return merged


@dataclass
class _Report:
    violations: list[str]

    def add(self, message: str) -> None:
        self.violations.append(message)


def check(plan: Plan, *, base: Plan | None = None, now: int | None = None) -> list[str]:
    """All violations of `plan`; with `base` and `now`, also frozen operations moved."""
    report = _Report([])
    _check_structure(plan, report)
    if report.violations:
        return report.violations
    _check_centers(plan, report)
    _check_routings(plan, report)
    if base is not None and now is not None:
        _check_frozen(plan, base, now, report)
    return report.violations


def assert_feasible(plan: Plan, *, base: Plan | None = None, now: int | None = None) -> None:
    """Raise InfeasiblePlan listing the violations, if any."""
    violations = check(plan, base=base, now=now)
    if violations:
        raise InfeasiblePlan("\n".join(violations[:20]))


def _check_structure(plan: Plan, report: _Report) -> None:
    routed = sorted(op for route in plan.routing.values() for op in route)
    if routed != sorted(plan.operations):
        report.add("routings and operations disagree")
    if sorted(plan.routing) != sorted(plan.orders):
        report.add("routings and orders disagree")
    sequenced = sorted(op for seq in plan.sequences.values() for op in seq)
    if sequenced != sorted(plan.operations):
        report.add("not every open operation is sequenced exactly once")
    groups = {wc.id: wc.group for wc in plan.plant.work_centers}
    for wc_id, seq in sorted(plan.sequences.items()):
        for op_id in seq:
            slot = plan.slots.get(op_id)
            if slot is None or slot.work_center != wc_id:
                report.add(f"{op_id}: slot does not match sequence of {wc_id}")
            elif groups.get(wc_id) != plan.operations[op_id].group:
                report.add(f"{op_id}: {wc_id} is not of group {plan.operations[op_id].group}")


def _check_centers(plan: Plan, report: _Report) -> None:
    for wc in plan.plant.work_centers:
        prev_id: str | None = None
        for op_id in plan.sequences[wc.id]:
            slot = plan.slots[op_id]
            op = plan.operations[op_id]
            if prev_id is not None and slot.start < plan.slots[prev_id].end:
                report.add(f"{op_id}: overlaps {prev_id} on {wc.id}")
            if prev_id is not None:
                family: str | None = plan.operations[prev_id].family
            else:
                family = plan.last_family.get(wc.id)
            qty = plan.orders[op.order_id].quantity
            need = setup_minutes(plan.plant, family, op) + run_minutes(op, qty, wc.efficiency)
            _check_calendar(wc.calendar, op_id, slot.start, slot.end, need, report)
            if (
                op_id not in plan.started
                and 0 < need <= _longest(wc.calendar)
                and not op.interruptible
            ):
                if working_minutes(wc.calendar, slot.start, slot.end) != slot.end - slot.start:
                    report.add(f"{op_id}: non-interruptible operation spans a break")
            prev_id = op_id


def _check_calendar(
    cal: Calendar, op_id: str, start: int, end: int, need: int, report: _Report
) -> None:
    if need <= 0:
        return
    got = working_minutes(cal, start, end)
    if got != need:
        report.add(f"{op_id}: {got} working minutes in [{start}, {end}), needs {need}")
    elif working_minutes(cal, end - 1, end) != 1:
        report.add(f"{op_id}: ends after a break (not tight)")


def _check_routings(plan: Plan, report: _Report) -> None:
    for order_id in sorted(plan.routing):
        route = plan.routing[order_id]
        for i, op_id in enumerate(route):
            if op_id in plan.started:
                if plan.slots[op_id].start != plan.started[op_id]:
                    report.add(f"{op_id}: started op does not keep its actual start")
                continue
            slot = plan.slots[op_id]
            if slot.start < plan.operations[op_id].release:
                report.add(f"{op_id}: starts before its release time")
            if i > 0 and slot.start < plan.slots[route[i - 1]].end:
                report.add(f"{op_id}: starts before {route[i - 1]} ends")


def _check_frozen(plan: Plan, base: Plan, now: int, report: _Report) -> None:
    horizon = now + base.plant.frozen_horizon
    for op_id in sorted(base.slots):
        old = base.slots[op_id]
        if op_id not in plan.slots or not (op_id in base.started or old.start < horizon):
            continue
        new = plan.slots[op_id]
        if new.work_center != old.work_center and op_id not in plan.started:
            report.add(f"{op_id}: frozen operation changed work center")
        elif new.start < old.start and op_id not in plan.started:
            report.add(f"{op_id}: frozen operation moved earlier")
        elif new.start > old.start and not _forced(plan, base, op_id, old.start):
            report.add(f"{op_id}: frozen operation moved later without cause")


def _forced(plan: Plan, base: Plan, op_id: str, old_start: int) -> bool:
    """A frozen op may only be pushed by a predecessor, its release or its calendar."""
    if op_id in plan.started:
        return True
    slot = plan.slots[op_id]
    op = plan.operations[op_id]
    if op.release > old_start:
        return True
    if plan.orders[op.order_id].quantity != base.orders[op.order_id].quantity:
        return True
    if plan.center(slot.work_center).calendar != base.center(slot.work_center).calendar:
        return True
    route = plan.routing[plan.operations[op_id].order_id]
    seq = plan.sequences[slot.work_center]
    preds = [route[i - 1] for i in [route.index(op_id)] if i > 0]
    preds += [seq[i - 1] for i in [seq.index(op_id)] if i > 0]
    return any(plan.slots[p].end > old_start for p in preds)
