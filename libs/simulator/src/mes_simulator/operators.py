"""The operators of the simulation: start the first ready job of the list, complete it."""

from __future__ import annotations

from mes_scheduler.planning.events import OperationCompleted, OperationStarted, ReworkInserted
from mes_scheduler.planning.model import Operation, run_minutes
from mes_simulator.floor import OpState, OrderState
from mes_simulator.outcomes import outcome
from mes_simulator.shop import COMPLETE, WAKE, Shop


class Operators(Shop):
    """Line terminals and their operators, and what comes out of each job."""

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
