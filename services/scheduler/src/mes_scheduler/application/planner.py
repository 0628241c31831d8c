"""The living plan: one in-memory state per plant, changed only inside database transactions.

Every input (another service's event, one of our own, an adopted improvement) is applied in
the transaction that records it: its log row, the ScheduleRevised / OrderProjected it causes,
the read-model rows and (for consumed events) the consumer's dedupe rows commit together. The
change to the in-memory state is staged on the transaction and swapped in after the commit
(`adapters/uow.py`), under a lock that admits one planning transaction at a time. The
read-model rows, the state row and a due snapshot are written once per transaction, just
before it commits: a consumer batch of many inputs writes an order it touched many times once.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events import heap
from mes_events.catalog.orders import OrderReceived
from mes_events.envelope import EventEnvelope
from mes_events.metrics import REPLAN_SECONDS
from mes_events.store import Metadata, load_snapshot, save_snapshot
from mes_scheduler.adapters import plan_store
from mes_scheduler.adapters.uow import hooks_of
from mes_scheduler.application.context import Scheduler
from mes_scheduler.domain import codec, plan_rows, planner, plant_scope
from mes_scheduler.domain.plan_state import PlanState
from mes_scheduler.domain.plan_step import Step
from mes_scheduler.domain.plant_scope import Scope
from mes_scheduler.domain.projection_rule import EVERY_MOVE, ProjectionRule
from mes_scheduler.domain.timeaxis import week_start
from mes_scheduler.planning import checker, improver
from mes_scheduler.planning.plan import Plan, Slot

log = structlog.get_logger("mes.scheduler.planner")
_STAGED = "planner.staged"
_OWED = "planner.owed"


@dataclass
class Staged:
    """The planner's state as one transaction sees and changes it."""

    state: PlanState
    stream_version: int
    input_seq: int
    snapshot_seq: int

    def clone(self) -> Staged:
        return Staged(self.state.clone(), self.stream_version, self.input_seq, self.snapshot_seq)


class Planner:
    """Owns the plan of one plant; the consumer and the improver feed it."""

    def __init__(self, sch: Scheduler) -> None:
        self.sch = sch
        self.plan_id = sch.settings.plant_id
        self.stream_id = f"plan-{self.plan_id}"
        self.snapshot_id = f"planner-{self.plan_id}"
        self.lock = asyncio.Lock()
        self.committed: Staged | None = None
        self.changed = asyncio.Event()
        self.violations: list[str] = []
        self.rule = sch.settings.projection_rule

    @property
    def state(self) -> PlanState:
        assert self.committed is not None, "planner not loaded"
        return self.committed.state

    async def ensure_loaded(self) -> None:
        """Rebuild the plan from the latest snapshot and the inputs logged after it (once)."""
        if self.committed is not None:
            return
        async with self.lock:
            if self.committed is None:
                self.committed = await self._load()
                # The plan just loaded (thousands of operations) would otherwise be walked by
                # every full collection, one of which took 70-150 ms inside a breakdown's repair
                # (bench/planning_dynamic.py); its objects are still freed when replaced.
                heap.settle()

    async def _load(self) -> Staged:
        settings = self.sch.settings
        async with self.sch.uow.transaction() as conn:
            epoch = await plan_store.epoch(conn, self.plan_id, week_start(self.sch.clock()))
            snap = await load_snapshot(conn, self.snapshot_id, codec.SCHEMA_KEY)
            if snap is not None:
                state, seq = codec.decode(snap.state), snap.stream_version
            else:
                state = planner.initial(
                    epoch,
                    frozen_horizon=settings.frozen_horizon_minutes,
                    shortage_wait=settings.shortage_wait_minutes,
                )
                seq = 0
            rows = await plan_store.tail(conn, self.plan_id, seq)
            for row in rows:
                _replay(state, row, self.rule)
            version = await self.sch.store.stream_version(conn, self.stream_id)
        last = rows[-1].seq if rows else seq
        log.info(
            "planner.loaded", snapshot_seq=seq, replayed=len(rows), revision=state.plan.revision
        )
        return Staged(state, version, last, seq)

    async def _stage(self, conn: AsyncConnection) -> tuple[Staged, plan_rows.Unwritten]:
        """This transaction's copy of the state and the rows it owes (the first call takes the
        planner's lock)."""
        hooks = hooks_of(conn)
        staged, owed = hooks.values.get(_STAGED), hooks.values.get(_OWED)
        if isinstance(staged, Staged) and isinstance(owed, plan_rows.Unwritten):
            return staged, owed
        await self.ensure_loaded()
        await self.lock.acquire()
        assert self.committed is not None
        staged, owed = self.committed.clone(), plan_rows.Unwritten()
        hooks.values[_STAGED], hooks.values[_OWED] = staged, owed
        hooks.before_commit.append(lambda: self._write(conn, staged, owed))
        hooks.on_commit.append(lambda: self._commit(staged))
        hooks.on_rollback.append(self.lock.release)
        return staged, owed

    def _commit(self, staged: Staged) -> None:
        self.committed = staged
        self.lock.release()
        self.changed.set()

    async def handle(self, conn: AsyncConnection, env: EventEnvelope) -> None:
        """The consumer's handler: apply a planning-relevant event in the consumer's transaction.

        Another plant's event is left out (the consumer still records it as consumed); an
        order of another plant is logged by id only, so its material events are left out too.
        """
        if env.event_type not in planner.INPUT_TYPES:
            return
        staged, owed = await self._stage(conn)
        state = staged.state
        event = env.payload()
        own = env.source == self.sch.store.source
        where = plant_scope.scope(state, event, plant_id=self.plan_id, own=own)
        if where is Scope.NOT_OURS:
            return
        now = max(state.now, state.axis.minute(self.sch.clock()))
        if where is Scope.FOREIGN_ORDER:
            assert isinstance(event, OrderReceived)
            plant_scope.mark_foreign(state, event.order_id)
            staged.input_seq = await plan_store.log_foreign(conn, self.plan_id, now, event.order_id)
            return
        before = state.plan
        started = time.perf_counter()
        step = planner.apply(state, event, now, env.occurred_at, rule=self.rule)
        REPLAN_SECONDS.labels(env.event_type).observe(time.perf_counter() - started)
        self._verify(before, state, now)
        staged.input_seq = await plan_store.log_event(conn, self.plan_id, now, env)
        meta = Metadata(self.sch.clock(), env.correlation_id, env.event_id)
        await self._publish(conn, staged, step, meta, env.event_id)
        owed.add(step)

    async def adopt(self, result: improver.ImproveResult, now: int) -> bool:
        """Take an improver result if it is still fresh, better and feasible; publish it."""
        async with self.sch.uow.transaction() as conn:
            staged, owed = await self._stage(conn)
            state = staged.state
            now = max(now, state.now)
            adopted = improver.adopt(state.plan, result, now)
            if adopted is None:
                return False
            slots = {c.op_id: c.after for c in adopted.diff.changes if c.after is not None}
            base = state.plan.sequences
            sequences = {
                wc: seq for wc, seq in adopted.plan.sequences.items() if base.get(wc) != seq
            }
            before = state.plan
            step = planner.apply_improvement(state, slots, sequences, now, rule=self.rule)
            self._verify(before, state, now)
            data = {"slots": {k: list(v) for k, v in slots.items()},
                    "sequences": {k: list(v) for k, v in sequences.items()}}  # fmt: skip
            staged.input_seq = await plan_store.log_improvement(conn, self.plan_id, now, data)
            meta = Metadata(self.sch.clock(), uuid4(), None)
            await self._publish(conn, staged, step, meta, None)
            owed.add(step)
        log.info("planner.improved", moved=step.diff.moved, revision=state.plan.revision)
        return True

    async def _publish(
        self, conn: AsyncConnection, staged: Staged, step: Step, meta: Metadata, cause: UUID | None
    ) -> None:
        events = plan_rows.events(staged.state, step, self.plan_id, cause)
        if events:
            await self.sch.store.append(conn, self.stream_id, staged.stream_version, events, meta)
            staged.stream_version += len(events)

    async def _write(
        self, conn: AsyncConnection, staged: Staged, owed: plan_rows.Unwritten
    ) -> None:
        """The transaction's read-model rows, state row and due snapshot, once, before commit."""
        assert self.committed is not None
        if staged.input_seq == self.committed.input_seq:
            return  # nothing was applied (another plant's event, a stale improvement)
        state = staged.state
        ops = plan_rows.operation_rows_of(state, owed.orders, owed.actuals)
        await plan_store.write_rows(conn, ops, plan_rows.order_rows_of(state, owed.orders))
        await plan_store.save_state(conn, self.plan_id, state.plan.revision, staged.input_seq)
        if staged.input_seq - staged.snapshot_seq >= self.sch.settings.snapshot_every:
            await save_snapshot(
                conn, self.snapshot_id, staged.input_seq, codec.SCHEMA_KEY, codec.encode(state)
            )
            staged.snapshot_seq = staged.input_seq

    def _verify(self, before: Plan, state: PlanState, now: int) -> None:
        if not self.sch.settings.verify_plans:
            return
        found = checker.check(state.plan, base=before, now=now)
        if found:
            log.error("planner.infeasible", violations=found[:10])
            self.violations += found


def _replay(state: PlanState, row: Any, rule: ProjectionRule = EVERY_MOVE) -> None:
    """Apply a logged input again; `rule` as live, so the last published projections match."""
    if row.kind == "foreign":
        plant_scope.mark_foreign(state, row.data["order_id"])
        return
    if row.kind == "event":
        env = plan_store.envelope_of(row)
        planner.apply(state, env.payload(), row.now, env.occurred_at, rule=rule)
        return
    slots = {k: Slot(*v) for k, v in row.data["slots"].items()}
    sequences = {k: tuple(v) for k, v in row.data["sequences"].items()}
    planner.apply_improvement(state, slots, sequences, row.now, rule=rule)
