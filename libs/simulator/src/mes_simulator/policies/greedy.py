"""Baseline: first-free-slot planning when work arrives, never repaired (what Odoo does).

Each operation of a new order goes, in routing order, into the earliest gap of the
center of its group where it finishes first, after its predecessor's planned end. The
plan is never revised: breakdowns, material delays and late jobs leave it as it was.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Sequence

from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.events import (
    Event,
    OperationCompleted,
    OperationStarted,
    OrderAdded,
    ReworkInserted,
)
from mes_scheduler.planning.model import Operation, Plant, run_minutes


class GreedyPolicy:
    """Plans each order's operations once, in the first free slot; operators follow it."""

    name = "greedy"

    def __init__(self, plant: Plant) -> None:
        self.plant = plant
        self.calendar = {wc.id: Availability(wc.calendar) for wc in plant.work_centers}
        self.efficiency = {wc.id: wc.efficiency for wc in plant.work_centers}
        self.timeline: dict[str, list[tuple[int, int, str]]] = {
            wc.id: [] for wc in plant.work_centers
        }
        self.slots: dict[str, tuple[str, int, int]] = {}
        self.quantity: dict[str, int] = {}
        self.started: set[str] = set()

    def observe(self, event: Event) -> None:
        match event:
            case OrderAdded(at, order):
                self.quantity[order.id] = order.quantity
                ready = at
                for op in order.operations:
                    ready = self._place(op, ready)
            case ReworkInserted(at, op, _):
                self._place(op, at)
            case OperationStarted(_, op_id, _):
                self.started.add(op_id)
            case OperationCompleted(_, op_id):
                wc, start, end = self.slots.pop(op_id)
                self.timeline[wc].remove((start, end, op_id))
                self.started.discard(op_id)
            case _:
                pass  # no repair: the plan ignores breakdowns and material news

    def _place(self, op: Operation, earliest: int) -> int:
        best: tuple[int, str, int] | None = None
        for wc in self.plant.centers_of(op.group):
            work = op.setup + run_minutes(op, self.quantity[op.order_id], self.efficiency[wc])
            start, end = self._first_fit(wc, earliest, work)
            if best is None or (end, wc) < (best[0], best[1]):
                best = (end, wc, start)
        if best is None:
            raise ValueError(f"no work center of group {op.group}")
        end, wc, start = best
        self.slots[op.id] = (wc, start, end)
        insort(self.timeline[wc], (start, end, op.id))
        return end

    def _first_fit(self, wc: str, earliest: int, work: int) -> tuple[int, int]:
        calendar = self.calendar[wc]
        t = earliest
        for start, end, _ in self.timeline[wc]:
            if end <= t:
                continue
            s, e = calendar.place(t, work, True)
            if e <= start:
                return s, e
            t = max(t, end)
        return calendar.place(t, work, True)

    def tick(self, now: int) -> None:
        return None

    def dispatch_list(self, center: str, now: int) -> Sequence[str]:
        return [op for _, _, op in self.timeline[center] if op not in self.started]

    def stats(self) -> dict[str, int]:
        return {}
