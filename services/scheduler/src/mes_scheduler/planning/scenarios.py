"""Seeded generators of plants, orders and event streams, for tests and benchmarks."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from mes_scheduler.planning.events import (
    Event,
    MaterialChanged,
    OperationCompleted,
    OperationStarted,
    OrderAdded,
    OrderAmended,
    OrderCancelled,
    ReworkInserted,
    ScrapMadeUp,
    WorkCenterDown,
    WorkCenterUp,
)
from mes_scheduler.planning.model import DAY, Calendar, Operation, Order, Plant, Window, WorkCenter
from mes_scheduler.planning.plan import Plan


def two_shift_calendar() -> Calendar:
    """Monday to Friday, two shifts 06:00-14:00 and 14:00-22:00 with a 30 min gap."""
    windows = []
    for day in range(5):
        windows += [
            Window(day * DAY + 360, day * DAY + 840),
            Window(day * DAY + 870, day * DAY + 1320),
        ]
    return Calendar(weekly=tuple(windows))


def plant(
    rng: random.Random, groups: int, per_group: int, *, shifts: bool = True, frozen: int = 0
) -> Plant:
    """`groups` x `per_group` centers with mixed efficiency and optional two-shift calendars."""
    centers = tuple(
        WorkCenter(
            f"G{g:02d}W{i:02d}",
            f"G{g:02d}",
            rng.choice([0.8, 1.0, 1.0, 1.2]),
            two_shift_calendar() if shifts else Calendar(),
        )
        for g in range(groups)
        for i in range(per_group)
    )
    families = ["A", "B", "C"]
    setups = {(a, b): (5 if a == b else 25) for a in families for b in families}
    return Plant(centers, setups, frozen)


def order(rng: random.Random, plant_: Plant, order_id: str, now: int, *, max_ops: int = 5) -> Order:
    """A random order released at `now` with 1..max_ops operations and a loose due date."""
    groups = sorted({wc.group for wc in plant_.work_centers})
    qty = rng.randint(5, 60)
    ops = tuple(
        Operation(
            f"{order_id}.{k}",
            order_id,
            rng.choice(groups),
            round(rng.uniform(0.2, 3.0), 2),
            setup=rng.randint(0, 30),
            family=rng.choice(["A", "B", "C"]),
            interruptible=rng.random() < 0.85,
            release=now + (rng.choice([0, 0, 0, 240, 1440]) if k == 0 else 0),
        )
        for k in range(rng.randint(1, max_ops))
    )
    work = sum(op.setup + op.per_unit * qty for op in ops)
    due = now + int(work * rng.uniform(2.0, 12.0)) + rng.randint(0, 5 * DAY)
    return Order(order_id, qty, due, rng.choice([1.0, 1.0, 2.0, 5.0]), ops)


KINDS: tuple[tuple[str, int], ...] = (
    ("arrival", 18), ("execution", 52), ("down", 2), ("up", 2),
    ("material", 8), ("rework", 4), ("cancel", 4), ("amend", 6), ("scrap", 4),
)  # fmt: skip


@dataclass
class EventStream:
    """Draws plausible next events from the current plan; advances its own clock.

    The shop follows the plan: each idle center starts its next planned operation when
    that operation is ready; actual durations are the planned ones with +-30 % noise.
    Other events (arrivals, breakdowns, material, ...) arrive in between.
    """

    rng: random.Random
    now: int = 0
    serial: int = 0
    actual_end: dict[str, int] = field(default_factory=dict)

    def next(self, plan: Plan) -> Event | None:
        kind = self.rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
        handler: Callable[[Plan], Event | None] = getattr(self, f"_{kind}")
        return handler(plan)

    def new_id(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial:06d}"

    def _arrival(self, plan: Plan) -> Event:
        return OrderAdded(self.now, order(self.rng, plan.plant, self.new_id("N"), self.now))

    def _next_start(self, plan: Plan) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        for _, seq in sorted(plan.sequences.items()):
            waiting = [op for op in seq if op not in plan.started]
            if not waiting or len(waiting) < len(seq):
                continue
            op_id = waiting[0]
            if plan.routing[plan.operations[op_id].order_id][0] != op_id:
                continue
            at = max(self.now, plan.slots[op_id].start, plan.operations[op_id].release)
            if best is None or (at, op_id) < best:
                best = (at, op_id)
        return best

    def _execution(self, plan: Plan) -> Event | None:
        start = self._next_start(plan)
        ends = sorted((max(self.now, self.actual_end[op]), op) for op in plan.started)
        if ends and (start is None or ends[0][0] <= start[0]):
            self.now, op_id = ends[0]
            del self.actual_end[op_id]
            return OperationCompleted(self.now, op_id)
        if start is None:
            return None
        self.now, op_id = start
        slot = plan.slots[op_id]
        noise = self.rng.uniform(0.7, 1.3)
        self.actual_end[op_id] = self.now + max(1, round((slot.end - slot.start) * noise))
        return OperationStarted(self.now, op_id, slot.work_center)

    def _down(self, plan: Plan) -> Event:
        wc = self.rng.choice(sorted(plan.sequences))
        return WorkCenterDown(self.now, wc, self.now + self.rng.randint(30, 480))

    def _up(self, plan: Plan) -> Event | None:
        down = [wc.id for wc in plan.plant.work_centers
                if any(w.start <= self.now < w.end for w in wc.calendar.downtime)]  # fmt: skip
        return WorkCenterUp(self.now, self.rng.choice(down)) if down else None

    def _pick_order(self, plan: Plan) -> str | None:
        return self.rng.choice(sorted(plan.orders)) if plan.orders else None

    def _material(self, plan: Plan) -> Event | None:
        order_id = self._pick_order(plan)
        if order_id is None or plan.routing[order_id][0] in plan.started:
            return None
        delay = self.rng.choice([-240, 0, 120, 600, 1440])
        available = max(self.now, plan.slots[plan.routing[order_id][0]].start + delay)
        return MaterialChanged(self.now, plan.routing[order_id][0], available)

    def _rework(self, plan: Plan) -> Event | None:
        order_id = self._pick_order(plan)
        if order_id is None:
            return None
        after = self.rng.choice(plan.routing[order_id])
        group = plan.operations[after].group
        op = Operation(self.new_id(f"{order_id}.R"), order_id, group, 0.5, setup=10)
        return ReworkInserted(self.now, op, after)

    def _cancel(self, plan: Plan) -> Event | None:
        order_id = self._pick_order(plan)
        if order_id is None or any(op in plan.started for op in plan.routing[order_id]):
            return None
        return OrderCancelled(self.now, order_id)

    def _amend(self, plan: Plan) -> Event | None:
        order_id = self._pick_order(plan)
        if order_id is None:
            return None
        if self.rng.random() < 0.5:
            return OrderAmended(self.now, order_id, due=plan.orders[order_id].due - 600)
        return OrderAmended(self.now, order_id, quantity=plan.orders[order_id].quantity + 5)

    def _scrap(self, plan: Plan) -> Event | None:
        order_id = self._pick_order(plan)
        return ScrapMadeUp(self.now, order_id, self.rng.randint(1, 5)) if order_id else None
