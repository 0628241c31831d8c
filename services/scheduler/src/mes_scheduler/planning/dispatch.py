"""Dispatch-rule list scheduling (Giffler-Thompson active schedules, flexible centers).

Used to build a plan from scratch and to regenerate the unfrozen part of a plan.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from mes_scheduler.planning.model import run_minutes
from mes_scheduler.planning.plan import Draft, Slot


@dataclass(frozen=True, slots=True)
class Candidate:
    """What a rule sees about one operation competing for a center."""

    op_id: str
    start: int
    end: int
    work: int
    remaining: int
    ops_left: int
    due: int
    weight: float
    ready: int
    mean_work: float


Rule = Callable[[Candidate], float]


def _atc(c: Candidate) -> float:
    slack = max(0.0, c.due - c.remaining - c.start)
    return -(c.weight / max(c.work, 1)) * math.exp(-slack / (2.0 * max(c.mean_work, 1.0)))


RULES: dict[str, Rule] = {
    "spt": lambda c: c.work,
    "lpt": lambda c: -c.work,
    "mwkr": lambda c: -c.remaining,
    "lwkr": lambda c: c.remaining,
    "mopnr": lambda c: -c.ops_left,
    "edd": lambda c: c.due,
    "odd": lambda c: c.due - c.remaining,
    "slack_per_op": lambda c: (c.due - c.start - c.remaining) / c.ops_left,
    "cr": lambda c: (c.due - c.start) / max(c.remaining, 1),
    "atc": _atc,
    "wspt": lambda c: -c.weight / max(c.work, 1),
    "fifo": lambda c: c.ready,
}


def _nominal(draft: Draft, op_id: str) -> int:
    op = draft.operations[op_id]
    return op.setup + run_minutes(op, draft.orders[op.order_id].quantity, 1.0)


class _Dispatcher:
    def __init__(self, draft: Draft, rule: Rule) -> None:
        self.draft = draft
        self.rule = rule
        self.floor = draft.now + draft.plant.frozen_horizon
        self.movable = {op for op in draft.operations if not draft.is_frozen(op)}
        self.remaining: dict[str, int] = {}
        self.ops_left: dict[str, int] = {}
        for order_id in sorted(draft.routing):
            total, count = 0, 0
            for op_id in reversed(draft.routing[order_id]):
                total += _nominal(draft, op_id)
                count += 1
                self.remaining[op_id], self.ops_left[op_id] = total, count
        works = [_nominal(draft, op) for op in self.movable]
        self.mean_work = sum(works) / len(works) if works else 1.0
        self.centers = {g: draft.plant.centers_of(g) for g in _groups(draft)}
        self.options: dict[str, dict[str, tuple[int, int]]] = {}
        self.by_group: dict[str, list[str]] = {g: [] for g in self.centers}
        self.best: dict[str, tuple[int, str, str]] = {}

    def place(self, op_id: str, wc: str) -> tuple[int, int]:
        d = self.draft
        seq = d.sequences[wc]
        prev = seq[-1] if seq else None
        op = d.operations[op_id]
        earliest = max(op.release, self.floor)
        pred, _ = d.job_neighbours(op_id)
        if pred is not None:
            earliest = max(earliest, d.slots[pred].end)
        if prev is not None:
            earliest = max(earliest, d.slots[prev].end)
        return d.availability[wc].place(earliest, d.work(op_id, wc, prev), op.interruptible)

    def make_ready(self, op_id: str) -> None:
        group = self.draft.operations[op_id].group
        self.options[op_id] = {wc: self.place(op_id, wc) for wc in self.centers[group]}
        self.by_group[group].append(op_id)
        self.refresh_best(group)

    def refresh_best(self, group: str) -> None:
        entries = [
            (end, wc, op_id)
            for op_id in self.by_group[group]
            for wc, (_, end) in self.options[op_id].items()
        ]
        if entries:
            self.best[group] = min(entries)
        else:
            self.best.pop(group, None)

    def candidate(self, op_id: str, wc: str) -> Candidate:
        d = self.draft
        start, end = self.options[op_id][wc]
        order = d.orders[d.operations[op_id].order_id]
        pred, _ = d.job_neighbours(op_id)
        ready = d.slots[pred].end if pred is not None else d.operations[op_id].release
        return Candidate(
            op_id, start, end, end - start, self.remaining[op_id], self.ops_left[op_id],
            order.due, order.weight, ready, self.mean_work,
        )  # fmt: skip

    def step(self) -> None:
        group = min(self.best, key=lambda g: (self.best[g], g))
        c_star, wc, first = self.best[group]
        conflict = [
            op for op in self.by_group[group]
            if wc in self.options[op] and self.options[op][wc][0] < c_star
        ] or [first]  # fmt: skip
        chosen = min(conflict, key=lambda op: (self.rule(self.candidate(op, wc)), op))
        start, end = self.options[chosen][wc]
        d = self.draft
        d.sequences[wc].append(chosen)
        d.slots[chosen] = Slot(wc, start, end)
        d.fresh.add(chosen)
        d.touched.add(chosen)
        self.by_group[group].remove(chosen)
        del self.options[chosen]
        for op_id in self.by_group[group]:
            if wc in self.options[op_id]:
                self.options[op_id][wc] = self.place(op_id, wc)
        self.refresh_best(group)
        _, succ = d.job_neighbours(chosen)
        if succ is not None:
            self.make_ready(succ)

    def run(self) -> None:
        d = self.draft
        d.resequenced = None
        for wc in sorted(d.sequences):
            d.sequences[wc] = [op for op in d.sequences[wc] if op not in self.movable]
        for order_id in sorted(d.routing):
            for op_id in d.routing[order_id]:
                if op_id in self.movable:
                    self.make_ready(op_id)
                    break
        while self.best:
            self.step()


def _groups(draft: Draft) -> list[str]:
    return sorted({op.group for op in draft.operations.values()})


def regenerate(draft: Draft, rule: str = "atc") -> None:
    """Rebuild the sequences of every unfrozen operation of `draft` with one rule."""
    _Dispatcher(draft, RULES[rule]).run()
