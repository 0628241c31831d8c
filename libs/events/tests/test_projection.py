"""A projection fed live from the store equals the same projection rebuilt from scratch."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mes_events.envelope import EventEnvelope
from mes_events.projection import ProjectionRunner, catch_up, rebuild
from mes_events.registry import DomainEvent
from mes_events.store import EventStore
from mes_events.testing.events import Counted, Renamed, meta
from mes_events.uow import UnitOfWork

pytestmark = pytest.mark.integration
store = EventStore("mes/test")
md = MetaData()
counter_totals_v1 = Table(
    "counter_totals_v1",
    md,
    Column("stream_id", Text, primary_key=True),
    Column("total", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("label", Text),
    Column("last_version", Integer, nullable=False),
)


class CounterTotals:
    name = "counter_totals_v1"
    tables = (counter_totals_v1,)

    async def __call__(self, conn: AsyncConnection, env: EventEnvelope) -> None:
        event = env.payload()
        n = event.n if isinstance(event, Counted) else 0
        label = event.label if isinstance(event, Renamed) else None
        c = counter_totals_v1.c
        stmt = insert(counter_totals_v1).values(
            stream_id=env.stream_id,
            total=n,
            events=1,
            label=label,
            last_version=env.stream_version,
        )
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[c.stream_id],
                set_={
                    "total": c.total + n,
                    "events": c.events + 1,
                    "label": stmt.excluded.label if label else c.label,
                    "last_version": env.stream_version,
                },
                where=c.last_version < env.stream_version,
            )
        )


async def table_rows(engine: AsyncEngine) -> list[tuple[object, ...]]:
    async with engine.connect() as conn:
        rows = await conn.execute(select(counter_totals_v1).order_by(counter_totals_v1.c.stream_id))
        return [tuple(r) for r in rows]


async def test_rebuild_equals_live_processing(
    store_engine: AsyncEngine, store_uow: UnitOfWork
) -> None:
    async with store_engine.begin() as conn:
        await conn.run_sync(md.create_all)
    projection = CounterTotals()
    await catch_up(store_uow, store, projection)
    stop = asyncio.Event()
    runner = ProjectionRunner(store_uow, store, [projection])
    task = asyncio.create_task(runner.run(stop))

    async def writer(w: int) -> None:
        streams = [f"proj-{w}-{i}-{uuid.uuid4().hex[:4]}" for i in range(10)]
        for version in range(30):
            for s in streams:
                events: list[DomainEvent] = [Counted(n=version * w + 1)]
                if version % 7 == 3:
                    events.append(Renamed(label=f"l{version}"))
                async with store_uow.transaction() as conn:
                    current = await store.stream_version(conn, s)
                    await store.append(conn, s, current, events, meta())

    await asyncio.gather(*(writer(w) for w in range(1, 5)))
    async with store_engine.connect() as conn:
        stored = int((await conn.execute(text("SELECT count(*) FROM stored_event"))).scalar_one())
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        live = await table_rows(store_engine)
        if sum(int(r[2]) for r in live) == stored:  # type: ignore[call-overload]
            break
        assert asyncio.get_running_loop().time() < deadline, "live projection did not catch up"
        await asyncio.sleep(0.1)
    stop.set()
    await task
    assert len(live) == 40
    replayed = await rebuild(store_uow, store, projection)
    assert replayed == stored
    assert await table_rows(store_engine) == live
