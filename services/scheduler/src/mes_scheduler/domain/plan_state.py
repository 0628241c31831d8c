"""The planner's state: the engine's Plan plus what the service knows around it.

Mutable on purpose: the planner clones it once per transaction (shallow copies of a few
dicts) and applies every event of that transaction to the clone; the clone replaces the
committed state only after the commit. Values inside (OrderInfo, OpInfo, Plan) are frozen.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

from mes_scheduler.domain.timeaxis import TimeAxis
from mes_scheduler.planning.plan import Plan

OrderStatus = Literal["planned", "unplanned", "completed", "cancelled"]
MaterialKey = tuple[str, int, str]


def op_id(order_id: str, seq: int) -> str:
    """The engine's operation id, also the job id line terminals use: `<order>-<seq>`."""
    plain = f"{order_id}-{seq}"
    if len(plain) <= 64:
        return plain
    # Job ids are catalog codes (at most 64 characters): very long order ids are hashed.
    return "J" + hashlib.sha256(plain.encode()).hexdigest()[:40] + f"-{seq}"


@dataclass(frozen=True, slots=True)
class OpInfo:
    """One routing step as ordered (rework steps included), with what standard time needs."""

    seq: int
    op_id: str
    operation: str
    group: str
    setup_minutes: Decimal
    run_minutes_per_unit: Decimal
    materials: tuple[str, ...] = ()
    rework: bool = False
    copy_of: int | None = None  # a scrap make-up's repeat of this original step


@dataclass(frozen=True, slots=True)
class OrderInfo:
    """An order as the scheduler knows it; `routing` lists seqs in precedence order."""

    order_id: str
    quantity: int
    due_at: datetime
    priority: int
    routing: tuple[int, ...]
    ops: dict[int, OpInfo]
    # The quantity the engine plans with: ordered, plus scrap make-up, or only the make-up
    # once the original routing is done.
    planned_quantity: int
    status: OrderStatus = "planned"
    reason: str | None = None

    def op(self, seq: int) -> OpInfo:
        return self.ops[seq]

    def seq_of(self, op: str) -> int | None:
        return next((s for s, o in self.ops.items() if o.op_id == op), None)

    def with_op(self, info: OpInfo, after_seq: int | None) -> OrderInfo:
        """The order with a step inserted after `after_seq` (first when None or unknown)."""
        at = self.routing.index(after_seq) + 1 if after_seq in self.routing else 0
        routing = (*self.routing[:at], info.seq, *self.routing[at:])
        return replace(self, routing=routing, ops={**self.ops, info.seq: info})


@dataclass(frozen=True, slots=True)
class Projection:
    """What was last published for an order: completion and due (both change lateness)."""

    completion: int
    due_at: datetime


@dataclass
class PlanState:
    """Everything the planner folds from its inputs; equal inputs give an equal state."""

    axis: TimeAxis
    plan: Plan
    shortage_wait: int
    now: int = 0
    orders: dict[str, OrderInfo] = field(default_factory=dict)
    # Per (order, seq, material): short or not, and the time of the event that said so
    # (inventory's lot and material streams arrive in either order; the later fact wins).
    material: dict[MaterialKey, tuple[bool, datetime]] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    projected: dict[str, Projection] = field(default_factory=dict)
    # Orders of other plants (their OrderReceived named another plant): ignored from then on.
    foreign: set[str] = field(default_factory=set)

    def clone(self) -> PlanState:
        return PlanState(
            self.axis,
            self.plan,
            self.shortage_wait,
            self.now,
            dict(self.orders),
            dict(self.material),
            set(self.done),
            dict(self.projected),
            set(self.foreign),
        )

    def short_materials(self, order_id: str, seq: int) -> list[str]:
        info = self.orders.get(order_id)
        if info is None or seq not in info.ops:
            return []
        keys = [(order_id, seq, m) for m in info.ops[seq].materials]
        return [k[2] for k in keys if self.material.get(k, (False, None))[0]]

    def material_status(self, order_id: str, seq: int) -> str:
        """'none' (needs no material), 'short', 'reserved' or 'unknown' (nothing heard yet)."""
        materials = self.orders[order_id].ops[seq].materials
        if not materials:
            return "none"
        if self.short_materials(order_id, seq):
            return "short"
        if all((order_id, seq, m) in self.material for m in materials):
            return "reserved"
        return "unknown"
