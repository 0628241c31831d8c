"""Order intake: idempotent creates by ERP reference, committed in groups under load.

Why groups: one transaction per request caps creates at the database's commit rate. Requests
that arrive while transactions are in flight queue up and the next free committer takes up to
`max_batch` of them into one transaction, after waiting `gather_s` for more when its last
transaction held several. An idle service still commits each request at once, so grouping
adds no latency when there is nothing to group.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections import deque
from dataclasses import dataclass, field

import structlog
from prometheus_client import Histogram
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.orders import OrderReceived
from mes_events.errors import DomainError
from mes_events.registry import DomainEvent
from mes_events.store import Append, EventStore, Metadata
from mes_events.uow import UnitOfWork
from mes_orders.adapters import read_model
from mes_orders.domain.order import INITIAL, ReceiveOrder, decide

log = structlog.get_logger("mes.orders.intake")

BATCH_SIZE = Histogram(
    "mes_orders_intake_batch_size",
    "creates committed together in one intake transaction",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)

# Order ids derive from the ERP reference, so a retried create lands on the same stream.
ORDER_NAMESPACE = uuid.UUID("6f1c9f8e-2a43-5d0b-9b7e-0c5a2d7e4b11")
_NAMESPACE_BYTES = ORDER_NAMESPACE.bytes


def order_id_for(external_ref: str) -> str:
    """`str(uuid.uuid5(ORDER_NAMESPACE, external_ref))`, without building a UUID object.

    Why: `uuid.UUID` checks its arguments in Python; this takes a third of the time (3.5 us
    against 9.5 us here), on every create.
    """
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + external_ref.encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def request_hash(body: BaseModel) -> str:
    """A digest of a validated body: the model fixes the key order, whitespace is gone."""
    return hashlib.sha256(body.model_dump_json().encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Placed:
    order_id: str
    created: bool


@dataclass
class _Request:
    command: ReceiveOrder
    digest: str
    meta: Metadata
    done: asyncio.Future[Placed]


@dataclass
class Intake:
    """Receives orders; concurrent calls share transactions (group commit)."""

    uow: UnitOfWork
    store: EventStore
    max_batch: int = 64
    max_committers: int = 4
    # Under load, how long a committer waits for `gather_target` requests to be queued.
    gather_s: float = 0.0
    gather_target: int = 12
    _queue: deque[_Request] = field(default_factory=deque, init=False)
    _committers: int = field(default=0, init=False)
    _last_batch: int = field(default=0, init=False)
    # While a committer gathers: resolved when enough requests are queued, or by its timer.
    _gathering: asyncio.Future[None] | None = field(default=None, init=False)
    # The loop keeps only weak references to tasks: a committer must not vanish mid-batch.
    _tasks: set[asyncio.Task[None]] = field(default_factory=set, init=False)

    async def place(self, command: ReceiveOrder, digest: str, meta: Metadata) -> Placed:
        """Store the order, or return the one under the same reference; 409 if it differs."""
        done: asyncio.Future[Placed] = asyncio.get_running_loop().create_future()
        self._queue.append(_Request(command, digest, meta, done))
        if self._gathering is not None and len(self._queue) >= self._target:
            _resolve(self._gathering)
        if self._committers < self.max_committers:
            self._committers += 1
            task = asyncio.get_running_loop().create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await done

    async def _drain(self) -> None:
        try:
            while self._queue:
                await self._gather()
                if not self._queue:  # another committer took them while this one waited
                    break
                n = self._last_batch = min(len(self._queue), self.max_batch)
                await self._commit([self._queue.popleft() for _ in range(n)])
        finally:
            self._committers -= 1

    @property
    def _target(self) -> int:
        return min(self.gather_target, self.max_batch)

    async def _gather(self) -> None:
        """Under load, wait up to `gather_s` until `gather_target` requests are queued.

        Bigger transactions cost less per create. Only a committer whose last transaction
        carried several creates waits, so an idle service commits at once, and only one
        committer waits at a time.
        """
        if (
            not self.gather_s
            or self._gathering is not None
            or self._last_batch < 2
            or len(self._queue) >= self._target
        ):
            return
        loop = asyncio.get_running_loop()
        self._gathering = loop.create_future()
        timer = loop.call_later(self.gather_s, _resolve, self._gathering)
        try:
            await self._gathering
        finally:
            timer.cancel()
            self._gathering = None

    async def _commit(self, batch: list[_Request]) -> None:
        BATCH_SIZE.observe(len(batch))
        try:
            async with self.uow.transaction() as conn:
                results = await self._place_all(conn, batch)
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0], exc)
                return
            log.warning("intake.batch_failed", size=len(batch), error=repr(exc))
            for r in batch:  # one bad request must not fail the others: retry each alone
                await self._commit([r])
            return
        for r, result in zip(batch, results, strict=True):
            _settle(r, result)

    async def _place_all(
        self, conn: AsyncConnection, batch: list[_Request]
    ) -> list[Placed | Exception]:
        """One insert for the batch's rows; events appended for the rows that were new."""
        decided = [decide(r.command, INITIAL) for r in batch]
        rows = [
            read_model.NewOrder(_received(events), r.digest, r.meta.occurred_at)
            for r, events in zip(batch, decided, strict=True)
        ]
        fresh = await read_model.insert_received(conn, rows)
        results: list[Placed | Exception | None] = []
        appends: list[Append] = []
        for r, events in zip(batch, decided, strict=True):
            if r.command.order_id in fresh:
                fresh.discard(r.command.order_id)  # a repeat in the same batch is not new
                appends.append(Append(r.command.order_id, 0, events, r.meta))
                results.append(Placed(r.command.order_id, created=True))
            else:
                results.append(None)
        # One statement for every new order's events: the batch costs one round trip.
        await self.store.append_many(conn, appends)
        taken = [r.command.external_ref for r, res in zip(batch, results, strict=True) if not res]
        existing = await read_model.find_by_refs(conn, taken) if taken else {}
        return [
            res or _repeat(r, existing.get(r.command.external_ref))
            for r, res in zip(batch, results, strict=True)
        ]


def _received(events: list[DomainEvent]) -> OrderReceived:
    (event,) = events
    assert isinstance(event, OrderReceived)
    return event


def _repeat(r: _Request, existing: read_model.Existing | None) -> Placed | Exception:
    """The same body again is the same order; a different one under the reference is a 409."""
    if existing is not None and existing.request_hash == r.digest:
        return Placed(existing.order_id, created=False)
    return DomainError(
        f"external_ref {r.command.external_ref!r} is already order "
        f"{existing.order_id if existing else r.command.order_id} with a different body"
    )


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _settle(r: _Request, result: Placed | Exception) -> None:
    # The caller may have gone away (client disconnect cancels its future).
    with contextlib.suppress(asyncio.InvalidStateError):
        if isinstance(result, Exception):
            r.done.set_exception(result)
        else:
            r.done.set_result(result)
