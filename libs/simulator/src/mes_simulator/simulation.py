"""The discrete-event simulation of the shop under one planning policy.

The world (arrivals, receipts, breakdowns, per-operation outcomes) comes from the scenario;
the policy hears every event as the planning engine's event values and shows each line
terminal a dispatch list; operators start the first ready job on it. Time is integer
minutes and jumps from event to event, so a week of plant time takes seconds.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.events import (
    Event,
    MaterialChanged,
    OperationCompleted,
    OperationStarted,
    OrderAdded,
    ReworkInserted,
    WorkCenterDown,
    WorkCenterUp,
)
from mes_scheduler.planning.model import DAY, Operation, run_minutes
from mes_simulator.floor import (
    CenterState,
    OpState,
    OrderState,
    op_id,
    open_reason,
    planning_order,
)
from mes_simulator.outcomes import outcome
from mes_simulator.policies.base import Policy
from mes_simulator.scenario import Breakdown, OrderSpec, Receipt, Scenario
from mes_simulator.stock import Line, Stock

# Within one minute: completions free machines first, then repairs, receipts, arrivals.
COMPLETE, UP, RECEIPT, ARRIVAL, DOWN, WAKE = range(6)
NO_PO_LEAD_TIME = 3 * DAY


@dataclass
class Run:
    """Everything a run leaves behind, for the KPIs and the invariant checks."""

    policy: str
    scenario: Scenario
    orders: dict[str, OrderState]
    ops: dict[str, OpState]
    centers: dict[str, CenterState]
    stock: Stock
    end: int = 0
    events: int = 0
    cpu_seconds: float = 0.0
    cpu_max: float = 0.0
    head_changes: int = 0
    wip_area: float = 0.0
    open_reasons: dict[str, str] = field(default_factory=dict)
    policy_stats: dict[str, int] = field(default_factory=dict)


class Simulation:
    """One scenario under one policy; `run()` plays it until every order is done or the limit."""

    def __init__(
        self, scenario: Scenario, policy: Policy, *, limit: int | None = None, strict: bool = False
    ) -> None:
        self.scenario = scenario
        self.strict = strict
        self.policy = policy
        self.limit = limit if limit is not None else scenario.arrivals_end + 30 * DAY
        self.now = 0
        self.heap: list[tuple[int, int, int, Any]] = []
        self.counter = itertools.count()
        self.calendar = Availability(scenario.calendar)
        self.heads: dict[str, str | None] = {}
        self.arrived = 0
        self.run_ = Run(
            policy.name, scenario, {}, {}, {c.id: CenterState(c) for c in scenario.centers}, Stock()
        )
        for o in scenario.orders:
            self._at(o.arrival, ARRIVAL, o)
        for r in scenario.receipts:
            self._at(r.at, RECEIPT, r)
        for b in scenario.breakdowns:
            self._at(b.at, DOWN, b)

    def _at(self, t: int, rank: int, payload: Any) -> None:
        heapq.heappush(self.heap, (t, rank, next(self.counter), payload))

    def run(self) -> Run:
        """Play the scenario; returns the final state of the shop."""
        r = self.run_
        while self.heap and not self._finished():
            t = self.heap[0][0]
            if t > self.limit:
                break
            wip = sum(1 for o in r.orders.values() if o.started and o.completed_at is None)
            r.wip_area += wip * (t - self.now)
            self.now = t
            while self.heap and self.heap[0][0] == t:
                _, rank, _, payload = heapq.heappop(self.heap)
                self._handle(rank, payload)
            self._dispatch()
            self._timed(lambda: self.policy.tick(self.now), count=False)
            self._watch_heads()
        r.end = self.now
        r.open_reasons = {
            oid: open_reason(o, r.ops, r.centers)
            for oid, o in sorted(r.orders.items())
            if o.completed_at is None
        }
        r.open_reasons |= {o.id: "not yet arrived" for o in self.scenario.orders[self.arrived :]}
        r.policy_stats = self.policy.stats()
        return r

    def _finished(self) -> bool:
        done = all(o.completed_at is not None for o in self.run_.orders.values())
        return self.arrived == len(self.scenario.orders) and done

    def _handle(self, rank: int, payload: Any) -> None:
        if rank == COMPLETE:
            self._complete(*payload)
        elif rank == UP:
            self._up(payload)
        elif rank == RECEIPT:
            self._receive(payload)
        elif rank == ARRIVAL:
            self._arrive(payload)
        elif rank == DOWN:
            self._down(payload)
        elif rank == WAKE:
            self.run_.centers[payload].wake_at = None

    def _timed(self, call: Any, *, count: bool = True) -> None:
        began = time.process_time()
        call()
        spent = time.process_time() - began
        self.run_.cpu_seconds += spent
        self.run_.cpu_max = max(self.run_.cpu_max, spent)
        self.run_.events += 1 if count else 0

    def _emit(self, event: Event) -> None:
        self._timed(lambda: self.policy.observe(event))

    # --- the outside world -------------------------------------------------------------

    def _arrive(self, spec: OrderSpec) -> None:
        r = self.run_
        self.arrived += 1
        order = OrderState(spec, [op_id(spec.id, s.seq) for s in spec.product.steps])
        order.flow = spec.quantity
        plan_order = planning_order(spec)
        for step, op in zip(spec.product.steps, plan_order.operations, strict=True):
            r.ops[op.id] = OpState(op, step)
        r.orders[spec.id] = order
        self._emit(OrderAdded(self.now, plan_order))
        for k, bom in enumerate(spec.product.bom):
            line = Line(spec.id, bom.seq, bom.material_id, bom.per_unit * spec.quantity)
            order.lines.append(line)
            if not r.stock.require(line):
                self._promise(order, k)

    def _promise(self, order: OrderState, k: int) -> None:
        """Purchasing's promise for a short line: the next receipt on order (open PO)."""
        line = order.lines[k]
        nxt = self.scenario.next_receipt(line.material_id, self.now)
        order.promised[k] = nxt if nxt is not None else self.now + NO_PO_LEAD_TIME
        self._emit(MaterialChanged(self.now, op_id(order.spec.id, line.seq), order.promised[k]))

    def _receive(self, receipt: Receipt) -> None:
        r = self.run_
        for line in r.stock.receive(receipt.material_id, receipt.quantity):
            self._emit(MaterialChanged(self.now, op_id(line.order_id, line.seq), self.now))
        for line in list(r.stock.waiting[receipt.material_id]):
            order = r.orders[line.order_id]
            k = order.lines.index(line)
            if order.promised.get(k, 0) <= self.now:
                self._promise(order, k)

    def _down(self, b: Breakdown) -> None:
        c = self.run_.centers[b.center]
        c.up, c.down_since = False, self.now
        if c.running is not None:
            op = self.run_.ops[c.running]
            worked = self.calendar.working_minutes(op.since, self.now)
            op.remaining, op.busy, op.token = op.remaining - worked, op.busy + worked, op.token + 1
        self._at(self.now + b.actual, UP, b.center)
        self._emit(WorkCenterDown(self.now, b.center, self.now + b.expected))

    def _up(self, center: str) -> None:
        c = self.run_.centers[center]
        c.up = True
        c.down_minutes += self.now - c.down_since
        if c.running is not None:
            op = self.run_.ops[c.running]
            op.since, op.token = self.now, op.token + 1
            end = self.calendar.finish(self.now, max(op.remaining, 0))
            self._at(end, COMPLETE, (op.id, op.token))
        self._emit(WorkCenterUp(self.now, center))

    # --- the floor -----------------------------------------------------------------------

    def _ready(self, op_id_: str, center: str) -> bool:
        r = self.run_
        op = r.ops.get(op_id_)
        if op is None or op.status != "waiting" or op.op.group != r.centers[center].spec.group:
            return False
        order = r.orders[op.op.order_id]
        current = next(o for o in order.routing if r.ops[o].status != "done")
        if current != op_id_:
            return False
        seq = op.step.seq if op.step is not None else -1
        return all(line.state == "reserved" for line in order.lines_of(seq))

    def _dispatch(self) -> None:
        """Idle centers start the first ready job of their list, until nothing more starts."""
        r = self.run_
        progress = True
        while progress:
            progress = False
            for center in sorted(r.centers):
                c = r.centers[center]
                if c.running is not None or not c.up:
                    continue
                nxt = self.calendar.next_working(self.now)
                if nxt > self.now:
                    if c.wake_at is None:
                        c.wake_at = nxt
                        self._at(nxt, WAKE, center)
                    continue
                shown = self.policy.dispatch_list(center, self.now)
                for candidate in shown[:1] if self.strict else shown:
                    if self._ready(candidate, center):
                        self._start(candidate, center)
                        progress = True
                        break

    def _start(self, op_id_: str, center: str) -> None:
        r = self.run_
        op = r.ops[op_id_]
        order = r.orders[op.op.order_id]
        c = r.centers[center]
        op.status, op.center, op.started_at, op.since = "running", center, self.now, self.now
        op.pieces_in = order.flow
        op.outcome = outcome(self.scenario.settings, op.id, op.pieces_in,
                             inspected=bool(op.step and op.step.inspection))  # fmt: skip
        standard = op.op.setup + run_minutes(op.op, op.pieces_in, c.spec.efficiency)
        op.work = op.remaining = max(1, round(standard * op.outcome.factor))
        c.running = op.id
        order.started = True
        for line in order.lines_of(op.step.seq if op.step is not None else -1):
            r.stock.consume(line)
        self._at(self.calendar.finish(self.now, op.remaining), COMPLETE, (op.id, op.token))
        self._emit(OperationStarted(self.now, op.id, center))

    def _complete(self, op_id_: str, token: int) -> None:
        r = self.run_
        op = r.ops[op_id_]
        if op.token != token or op.status != "running":
            return  # a pause re-scheduled this completion
        assert op.center is not None and op.outcome is not None
        order = r.orders[op.op.order_id]
        op.busy += self.calendar.working_minutes(op.since, self.now)
        op.status, op.completed_at = "done", self.now
        r.centers[op.center].running = None
        op.scrap = min(op.outcome.scrap, op.pieces_in)
        op.good = op.pieces_in - op.scrap
        self._emit(OperationCompleted(self.now, op.id))
        if op.outcome.inspection_failed:
            self._disposition(order, op)
        order.flow = op.good
        order.scrap += op.scrap
        if all(r.ops[o].status == "done" for o in order.routing):
            order.completed_at = self.now

    def _disposition(self, order: OrderState, op: OpState) -> None:
        """A failed inspection: rework after the operation, or scrap the sample at the end."""
        if order.routing[-1] == op.id:
            extra = min(op.step.sample_size if op.step else 1, op.good)
            op.good, op.scrap = op.good - extra, op.scrap + extra
            return
        assert op.outcome is not None
        minutes = op.outcome.rework_minutes
        per_unit = minutes / order.spec.quantity
        rework = Operation(
            f"{op.id}R", order.spec.id, op.op.group, per_unit, 10, op.op.family, True, self.now
        )
        self.run_.ops[rework.id] = OpState(rework, None)
        order.routing.insert(order.routing.index(op.id) + 1, rework.id)
        self._emit(ReworkInserted(self.now, rework, op.id))

    def _watch_heads(self) -> None:
        """Count changes of what a terminal shows next while that job still waits."""
        r = self.run_
        for center in sorted(r.centers):
            shown = self.policy.dispatch_list(center, self.now)
            head = shown[0] if shown else None
            before = self.heads.get(center)
            if before is not None and head != before and r.ops[before].status == "waiting":
                r.head_changes += 1
            self.heads[center] = head
