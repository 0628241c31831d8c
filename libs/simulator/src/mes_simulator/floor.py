"""State of the simulated shop floor: orders, operations and work centers as they really are."""

from __future__ import annotations

from dataclasses import dataclass, field

from mes_scheduler.planning.model import Operation, Order
from mes_simulator.catalog import CenterSpec, Step
from mes_simulator.outcomes import Outcome
from mes_simulator.scenario import OrderSpec
from mes_simulator.stock import Line


@dataclass
class OpState:
    """One operation of one order: what it is, where it ran, what came out."""

    op: Operation
    step: Step | None  # None for a rework operation
    status: str = "waiting"  # waiting -> running -> done
    center: str | None = None
    started_at: int | None = None
    completed_at: int | None = None
    pieces_in: int = 0
    good: int = 0
    scrap: int = 0
    work: int = 0  # work minutes it really takes (drawn when it starts)
    remaining: int = 0  # work minutes still to do while running
    since: int = 0  # start of the current uninterrupted stretch
    token: int = 0  # invalidates a scheduled completion after a pause
    busy: int = 0  # working minutes actually spent
    outcome: Outcome | None = None

    @property
    def id(self) -> str:
        return self.op.id


@dataclass
class OrderState:
    """A production order on the floor; `routing` grows when rework is inserted."""

    spec: OrderSpec
    routing: list[str]
    lines: list[Line] = field(default_factory=list)
    promised: dict[int, int] = field(default_factory=dict)  # line index -> promised time
    flow: int = 0  # good pieces coming out of the last completed operation
    scrap: int = 0
    started: bool = False
    completed_at: int | None = None

    def lines_of(self, seq: int) -> list[Line]:
        return [line for line in self.lines if line.seq == seq]


@dataclass
class CenterState:
    """A work center: up or down, and the operation on it (running or paused)."""

    spec: CenterSpec
    up: bool = True
    running: str | None = None
    down_since: int = 0
    down_minutes: int = 0
    wake_at: int | None = None


def op_id(order_id: str, seq: int) -> str:
    return f"{order_id}.{seq}"


def planning_order(spec: OrderSpec) -> Order:
    """The order as the planning engine sees it: released at arrival."""
    ops = tuple(
        Operation(op_id(spec.id, s.seq), spec.id, s.group, s.per_unit, s.setup,
                  spec.product.family, True, spec.arrival)
        for s in spec.product.steps
    )  # fmt: skip
    return Order(spec.id, spec.quantity, spec.due, spec.weight, ops)


def open_reason(order: OrderState, ops: dict[str, OpState], centers: dict[str, CenterState]) -> str:
    """Why an order is not completed yet, in the words a production manager would use."""
    current = next(ops[o] for o in order.routing if ops[o].status != "done")
    if current.status == "running" and current.center is not None:
        state = "running" if centers[current.center].up else "paused (work center down)"
        return f"operation {current.id} {state} on {current.center}"
    seq = current.step.seq if current.step is not None else None
    short = [line for line in order.lines if line.seq == seq and line.state == "short"]
    if short:
        return f"operation {current.id} waits for material {short[0].material_id}"
    return f"operation {current.id} waits for a work center of group {current.op.group}"
