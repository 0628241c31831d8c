"""Baseline without a plan: a free machine starts the released job due earliest."""

from __future__ import annotations

from collections.abc import Sequence

from mes_scheduler.planning.events import (
    Event,
    MaterialChanged,
    OperationCompleted,
    OperationStarted,
    OrderAdded,
    ReworkInserted,
)
from mes_scheduler.planning.model import Plant


class EddPolicy:
    """Earliest due date dispatch: each terminal lists the released jobs of its group by due."""

    name = "edd"

    def __init__(self, plant: Plant) -> None:
        self.group = {wc.id: wc.group for wc in plant.work_centers}
        self.due: dict[str, int] = {}
        self.routing: dict[str, list[str]] = {}
        self.op_group: dict[str, str] = {}
        self.order_of: dict[str, str] = {}
        self.available: dict[str, int] = {}
        self.started: set[str] = set()

    def observe(self, event: Event) -> None:
        match event:
            case OrderAdded(_, order):
                self.due[order.id] = order.due
                self.routing[order.id] = [op.id for op in order.operations]
                for op in order.operations:
                    self.op_group[op.id] = op.group
                    self.order_of[op.id] = order.id
                    self.available[op.id] = op.release
            case MaterialChanged(_, op_id, available_at):
                self.available[op_id] = available_at
            case ReworkInserted(at, op, after):
                route = self.routing[op.order_id]
                route.insert(route.index(after) + 1 if after in route else 0, op.id)
                self.op_group[op.id] = op.group
                self.order_of[op.id] = op.order_id
                self.available[op.id] = at
            case OperationStarted(_, op_id, _):
                self.started.add(op_id)
            case OperationCompleted(_, op_id):
                order_id = self.order_of[op_id]
                self.routing[order_id].remove(op_id)
                if not self.routing[order_id]:
                    del self.routing[order_id]
            case _:
                pass

    def dispatch_list(self, center: str, now: int) -> Sequence[str]:
        group = self.group[center]
        released = [
            (self.due[order_id], order_id, route[0])
            for order_id, route in self.routing.items()
            if route[0] not in self.started
            and self.op_group[route[0]] == group
            and self.available[route[0]] <= now
        ]
        return [op for _, _, op in sorted(released)]

    def tick(self, now: int) -> None:
        return None

    def stats(self) -> dict[str, int]:
        return {}
