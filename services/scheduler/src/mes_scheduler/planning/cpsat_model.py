"""The CP-SAT model of the unfrozen window, and decoding a solution back into a plan.

CP-SAT decides assignment and sequence only. Times are on the `Axis` (working minutes
of the shared shift pattern where there is one); sizes on other centers assume the worst
family setup. The decoder re-times the sequences with the exact calendar-aware timing,
so an adopted plan is exact whatever the model approximated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from mes_scheduler.planning.axis import Axis
from mes_scheduler.planning.model import NEVER, WEEK, Secondary, Window, run_minutes
from mes_scheduler.planning.plan import Draft, Plan, Slot
from mes_scheduler.planning.timing import retime_all

_MAX_OBJECTIVE = 1 << 61


@dataclass
class Model:
    """A built CP-SAT model plus the variables the decoder reads back."""

    model: cp_model.CpModel
    window: list[str]
    axis: Axis
    warm: bool
    stretch: dict[str, float] = field(default_factory=dict)
    starts: dict[str, cp_model.IntVar] = field(default_factory=dict)
    presence: dict[str, dict[str, cp_model.IntVar]] = field(default_factory=dict)
    horizon: int = 0


def select_window(draft: Draft, size: int, offset: int) -> list[str]:
    """Movable operations in time order; a rolling slice of `size` if there are more."""
    movable = sorted(draft.movable_ops(), key=lambda o: (draft.slots[o].start, o))
    if len(movable) <= size:
        return movable
    first = (offset * size) % len(movable)
    return sorted(movable[first : first + size])


def _stretch(draft: Draft, wc: str) -> float:
    cal = draft.plant.work_centers[_index(draft, wc)].calendar
    if cal.always_open:
        return 1.0
    worked = draft.availability[wc].working_minutes(draft.now, draft.now + WEEK)
    return WEEK / max(worked, 1)


def _index(draft: Draft, wc: str) -> int:
    return [c.id for c in draft.plant.work_centers].index(wc)


def _duration(draft: Draft, axis: Axis, op_id: str, wc: str, stretch: dict[str, float]) -> int:
    op = draft.operations[op_id]
    work = op.setup + run_minutes(op, draft.orders[op.order_id].quantity, draft.efficiency[wc])
    slot = draft.slots[op_id]
    if slot.work_center == wc:
        # Exactly the current (model) elapsed time, so the current plan is a feasible
        # hint and window operations still fit between the fixed ones around them.
        return axis.at(slot.end) - axis.at(slot.start)
    # Elsewhere: the worst family setup (and off the shared pattern, the elapsed time it
    # would take from where it starts now), so decoding rarely runs later than the model.
    into = [v for (_, to), v in draft.plant.family_setups.items() if to == op.family]
    work += max([op.setup, *into]) - op.setup
    if axis.shifts:
        return work
    begin, end = draft.availability[wc].place(max(slot.start, 0), work, op.interruptible)
    return max(work, min(end - begin, math.ceil(work * stretch[wc] * 2)))


def build(draft: Draft, window: list[str], *, warm: bool) -> Model:
    """Intervals, alternatives, NoOverlap, precedence, release; lexicographic objective."""
    m = Model(cp_model.CpModel(), window, Axis(draft.plant), warm)
    m.stretch = {wc.id: _stretch(draft, wc.id) for wc in draft.plant.work_centers}
    in_window = set(window)
    floor = m.axis.at(draft.now + draft.plant.frozen_horizon)
    m.horizon = m.axis.at(max([draft.now, *(s.end for s in draft.slots.values())]))
    m.horizon += floor + sum(max(_durations(m, draft, o).values()) for o in window)
    by_center: dict[str, list[cp_model.IntervalVar]] = {wc: [] for wc in draft.sequences}
    ends = {op_id: _op_vars(m, draft, op_id, floor, by_center) for op_id in window}
    for wc, seq in sorted(draft.sequences.items()):
        fixed = [
            _fixed(m, s.start, s.end) for o in seq if o not in in_window for s in [draft.slots[o]]
        ]
        fixed += [_fixed(m, w.start, w.end) for w in _blocked(draft, wc)]
        by_center[wc] += [iv for iv in fixed if iv is not None]
    for intervals in by_center.values():
        m.model.add_no_overlap(intervals)
    _precedences(m, draft, in_window, ends)
    _objective(m, draft, in_window, ends)
    return m


def _fixed(m: Model, start: int, end: int) -> cp_model.IntervalVar | None:
    a = m.axis.at(start)
    b = m.horizon if end >= NEVER else min(m.axis.at(end), m.horizon)
    return m.model.new_fixed_size_interval_var(a, b - a, "") if b > a else None


def _blocked(draft: Draft, wc: str) -> list[Window]:
    """Center-specific unavailability still ahead (holidays, maintenance, downtime).

    Minus the time the current plan already has work there (work pauses through it), so
    the current plan stays a feasible hint and fixed work never collides with it.
    """
    cal = draft.plant.work_centers[_index(draft, wc)].calendar
    pieces: list[Window] = []
    for w in sorted(cal.exceptions + cal.downtime, key=lambda w: (w.start, w.end)):
        w = Window(max(w.start, draft.now), w.end)
        if pieces and w.start <= pieces[-1].end:
            # Overlapping windows (a breakdown reported twice) must become one interval.
            pieces[-1] = Window(pieces[-1].start, max(pieces[-1].end, w.end))
        elif w.end > w.start:
            pieces.append(w)
    for op_id in draft.sequences[wc]:
        slot = draft.slots[op_id]
        pieces = [p for w in pieces for p in _minus(w, slot.start, slot.end)]
    return [p for p in pieces if p.end > p.start]


def _minus(w: Window, start: int, end: int) -> list[Window]:
    if end <= w.start or start >= w.end:
        return [w]
    return [Window(w.start, start), Window(end, w.end)]


def _durations(m: Model, draft: Draft, op_id: str) -> dict[str, int]:
    group = draft.operations[op_id].group
    return {
        wc: _duration(draft, m.axis, op_id, wc, m.stretch) for wc in draft.plant.centers_of(group)
    }


def _op_vars(
    m: Model,
    draft: Draft,
    op_id: str,
    floor: int,
    by_center: dict[str, list[cp_model.IntervalVar]],
) -> cp_model.IntVar:
    lower = max(m.axis.at(draft.operations[op_id].release), floor)
    start = m.model.new_int_var(lower, m.horizon, f"s_{op_id}")
    end = m.model.new_int_var(lower, m.horizon, f"e_{op_id}")
    slot = draft.slots[op_id]
    presence: dict[str, cp_model.IntVar] = {}
    for wc, size in _durations(m, draft, op_id).items():
        lit = m.model.new_bool_var(f"p_{op_id}_{wc}")
        by_center[wc].append(m.model.new_optional_interval_var(start, size, end, lit, ""))
        presence[wc] = lit
        if m.warm:
            m.model.add_hint(lit, wc == slot.work_center)
    m.model.add_exactly_one(presence.values())
    if m.warm:
        m.model.add_hint(start, m.axis.at(slot.start))
        m.model.add_hint(end, m.axis.at(slot.end))
    m.starts[op_id], m.presence[op_id] = start, presence
    return end


def _precedences(
    m: Model, draft: Draft, in_window: set[str], ends: dict[str, cp_model.IntVar]
) -> None:
    for order_id in sorted(draft.routing):
        route = draft.routing[order_id]
        for a, b in zip(route, route[1:], strict=False):
            if a in in_window and b in in_window:
                m.model.add(ends[a] <= m.starts[b])
            elif a in in_window:
                m.model.add(ends[a] <= m.axis.at(draft.slots[b].start))
            elif b in in_window:
                m.model.add(m.starts[b] >= m.axis.at(draft.slots[a].end))


def _objective(
    m: Model, draft: Draft, in_window: set[str], ends: dict[str, cp_model.IntVar]
) -> None:
    horizon = m.horizon
    tardy: list[tuple[int, cp_model.IntVar]] = []
    completions: list[cp_model.IntVar] = []
    for order_id in sorted(draft.routing):
        last = draft.routing[order_id][-1]
        if last not in in_window:
            continue
        order = draft.orders[order_id]
        completions.append(ends[last])
        due = m.axis.at(order.due)
        if due < horizon:
            t = m.model.new_int_var(0, horizon - due, f"t_{order_id}")
            m.model.add(t >= ends[last] - due)
            if m.warm:
                m.model.add_hint(t, max(0, m.axis.at(draft.slots[last].end) - due))
            tardy.append((max(1, round(order.weight * 100)), t))
    disruption = [1 - m.presence[o][draft.slots[o].work_center] for o in sorted(in_window)
                  if draft.slots[o].work_center in m.presence[o]]  # fmt: skip
    if draft.plant.secondary is Secondary.MAKESPAN:
        second = m.model.new_int_var(0, horizon, "makespan")
        m.model.add_max_equality(second, [*ends.values()])
        if m.warm:
            m.model.add_hint(second, max(m.axis.at(draft.slots[o].end) for o in in_window))
        second_ub = horizon
    else:
        second = sum(completions)  # type: ignore[assignment]
        second_ub = horizon * max(len(completions), 1)
    m2 = len(disruption) + 1
    m1 = (second_ub + 1) * m2
    wt_ub = sum(w * horizon for w, _ in tardy)
    if wt_ub * m1 >= _MAX_OBJECTIVE:
        m1 = max(1, _MAX_OBJECTIVE // max(wt_ub, 1))
    m.model.minimize(m1 * sum(w * t for w, t in tardy) + m2 * second + sum(disruption))


def decode(draft: Draft, m: Model, solver: cp_model.CpSolver) -> Plan:
    """Sequences from the solution's start order, then exact re-timing."""
    draft.resequenced = None
    key: dict[str, tuple[int, int, str]] = {}
    for op_id in m.window:
        wc = next(w for w, lit in sorted(m.presence[op_id].items()) if solver.value(lit))
        draft.slots[op_id] = Slot(wc, -1, -1)
        draft.fresh.add(op_id)
        key[op_id] = (solver.value(m.starts[op_id]), 1, op_id)
    centers: dict[str, list[str]] = {wc: [] for wc in draft.sequences}
    for op_id, slot in draft.slots.items():
        centers[slot.work_center].append(op_id)
        if op_id not in key:
            key[op_id] = (m.axis.at(slot.start), 0, op_id)
    for wc, ops in centers.items():
        draft.sequences[wc] = sorted(ops, key=lambda o: key[o])
    retime_all(draft)
    return draft.to_plan()
