"""Projections: read models fed from the service's own store, rebuilt from scratch on demand."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import structlog
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.envelope import EventEnvelope
from mes_events.store import START, Cursor, EventStore
from mes_events.supervise import run_until_stopped
from mes_events.uow import UnitOfWork
from mes_events.wakeup import listen_for_appends, wait_for_wake

log = structlog.get_logger("mes.projection")


class Projection(Protocol):
    """A read model: a name (its tracking key), its tables, and how it applies one event."""

    @property
    def name(self) -> str: ...

    @property
    def tables(self) -> Sequence[Table]: ...

    async def __call__(self, conn: AsyncConnection, env: EventEnvelope) -> None: ...


_LOAD = text("SELECT tx_id, position FROM projection_checkpoint WHERE projection = :name")
_SAVE = text(
    """
    INSERT INTO projection_checkpoint (projection, tx_id, position)
    VALUES (:name, CAST(:tx_id AS xid8), :position)
    ON CONFLICT (projection) DO UPDATE
    SET tx_id = excluded.tx_id, position = excluded.position, updated_at = now()
    """
)
_RESET = text("DELETE FROM projection_checkpoint WHERE projection = :name")
_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:name))")


async def catch_up(
    uow: UnitOfWork, store: EventStore, projection: Projection, *, page_size: int = 500
) -> tuple[int, bool]:
    """Apply every safely readable event the projection has not seen; (count, held back)."""
    applied = 0
    while True:
        async with uow.transaction() as conn:
            # The checkpoint and the rows it describes commit together: exactly once in effect.
            # The advisory lock keeps a rebuild and a live runner from interleaving.
            await conn.execute(_LOCK, {"name": f"projection:{projection.name}"})
            row = (await conn.execute(_LOAD, {"name": projection.name})).first()
            cursor = START if row is None else Cursor(int(row[0]), int(row[1]))
            page = await store.read_all(conn, cursor, limit=page_size)
            for env in page.events:
                await projection(conn, env)
            if page.events:
                await conn.execute(
                    _SAVE,
                    {
                        "name": projection.name,
                        "tx_id": page.next.tx_id,
                        "position": page.next.position,
                    },
                )
        applied += len(page.events)
        if len(page.events) < page_size:
            return applied, page.held_back


async def rebuild(
    uow: UnitOfWork, store: EventStore, projection: Projection, *, page_size: int = 500
) -> int:
    """Empty the projection's tables and replay the whole store into them."""
    async with uow.transaction() as conn:
        await conn.execute(_LOCK, {"name": f"projection:{projection.name}"})
        for table in projection.tables:
            # State and its tracking row are reset together, never one without the other.
            await conn.execute(text(f'TRUNCATE TABLE "{table.name}"'))
        await conn.execute(_RESET, {"name": projection.name})
    applied = 0
    while True:
        n, held_back = await catch_up(uow, store, projection, page_size=page_size)
        applied += n
        if not held_back:
            return applied
        await asyncio.sleep(0.005)


@dataclass
class ProjectionRunner:
    """Keeps projections current with the store, woken by the store's notifications."""

    uow: UnitOfWork
    store: EventStore
    projections: Sequence[Projection]
    idle_poll_s: float = 0.5
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    async def run(self, stop: asyncio.Event) -> None:
        """Keep the projections current until `stop` is set."""
        await run_until_stopped("projections", lambda: self._session(stop), stop)

    async def _session(self, stop: asyncio.Event) -> None:
        async with self.uow.engine.connect() as listen_conn:
            await listen_conn.execution_options(isolation_level="AUTOCOMMIT")
            await listen_for_appends(listen_conn, self._wake)
            while not stop.is_set():
                self._wake.clear()
                held = False
                for projection in self.projections:
                    _, held_back = await catch_up(self.uow, self.store, projection)
                    held = held or held_back
                if held:
                    await asyncio.sleep(0.002)
                    continue
                await wait_for_wake(self._wake, stop, self.idle_poll_s)
