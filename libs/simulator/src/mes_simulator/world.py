"""The outside world of the simulation: orders, purchasing's receipts and promises, breakdowns."""

from __future__ import annotations

from mes_scheduler.planning.events import (
    MaterialChanged,
    OrderAdded,
    WorkCenterDown,
    WorkCenterUp,
)
from mes_simulator.floor import OpState, OrderState, op_id, planning_order
from mes_simulator.scenario import Breakdown, OrderSpec, Receipt
from mes_simulator.shop import COMPLETE, NO_PO_LEAD_TIME, UP, Shop
from mes_simulator.stock import Line


class World(Shop):
    """Arrivals, receipts and breakdowns, told to the policy as they happen."""

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
