"""The event store against a real PostgreSQL: concurrency, ordering, tailing, snapshots."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from mes_events.store import (
    START,
    Append,
    ConcurrencyError,
    Cursor,
    EventStore,
    load_snapshot,
    save_snapshot,
)
from mes_events.testing.events import Counted, Renamed, meta
from mes_events.uow import UnitOfWork

pytestmark = pytest.mark.integration
store = EventStore("mes/test")


def sid() -> str:
    return f"counter-{uuid.uuid4()}"


async def test_append_then_read_stream_in_version_order(store_engine: AsyncEngine) -> None:
    stream = sid()
    async with store_engine.begin() as conn:
        first = await store.append(conn, stream, 0, [Counted(n=1), Renamed(label="a")], meta())
        second = await store.append(conn, stream, 2, [Counted(n=5)], meta())
    async with store_engine.connect() as conn:
        events = await store.read_stream(conn, stream)
        assert await store.stream_version(conn, stream) == 3
    assert [e.stream_version for e in events] == [1, 2, 3]
    assert [e.event_id for e in events] == [e.event_id for e in first + second]
    assert [e.event_type for e in events] == ["test.Counted", "test.Renamed", "test.Counted"]
    assert events[2].payload() == Counted(n=5)
    assert events[0].position is not None and events[0].position < events[2].position  # type: ignore[operator]


async def test_two_concurrent_appends_at_same_version_one_wins(store_engine: AsyncEngine) -> None:
    stream = sid()
    async with store_engine.begin() as conn:
        await store.append(conn, stream, 0, [Counted(n=1)], meta())
    gate = asyncio.Barrier(2)

    async def writer(n: int) -> str:
        async with store_engine.connect() as conn:
            await conn.begin()
            await gate.wait()
            try:
                await store.append(conn, stream, 1, [Counted(n=n)], meta())
                await conn.commit()
                return "ok"
            except ConcurrencyError:
                await conn.rollback()
                return "conflict"

    results = sorted(await asyncio.gather(writer(10), writer(20)))
    assert results == ["conflict", "ok"]
    async with store_engine.connect() as conn:
        assert [e.stream_version for e in await store.read_stream(conn, stream)] == [1, 2]


async def test_expected_version_ahead_of_stream_is_a_conflict_naming_actual(
    store_engine: AsyncEngine,
) -> None:
    stream = sid()
    async with store_engine.begin() as conn:
        await store.append(conn, stream, 0, [Counted(n=1)], meta())
    async with store_engine.begin() as conn:
        with pytest.raises(ConcurrencyError) as err:
            await store.append(conn, stream, 5, [Counted(n=1)], meta())
    assert err.value.actual == 1 and err.value.expected == 5


async def test_older_transaction_cannot_append_after_newer_one(store_engine: AsyncEngine) -> None:
    """Readers order by (tx_id, position); an older transaction appending after a newer one
    would put the stream out of order for them, so it must retry in a new transaction."""
    stream = sid()
    async with store_engine.connect() as old:
        await old.begin()
        await old.execute(text("SELECT pg_current_xact_id()"))  # takes its xid now
        async with store_engine.begin() as new:
            await store.append(new, stream, 0, [Counted(n=1)], meta())
        with pytest.raises(ConcurrencyError):
            await store.append(old, stream, 1, [Counted(n=2)], meta())
        await old.rollback()
    async with store_engine.begin() as retry:
        await store.append(retry, stream, 1, [Counted(n=2)], meta())


async def test_tailing_reader_never_skips_late_commits(store_engine: AsyncEngine) -> None:
    """20 writers commit out of position order while a reader tails; it sees every event once."""
    async with store_engine.connect() as conn:
        start = (await store.read_all(conn, START, limit=100_000)).next
    streams = [sid() for _ in range(20)]
    per_stream = 40
    done = asyncio.Event()

    async def writer(stream: str) -> None:
        for version in range(per_stream):
            async with store_engine.begin() as conn:
                await store.append(conn, stream, version, [Counted(n=version)], meta())
                await asyncio.sleep(0.001 * (hash(stream) % 3))  # commit later than others

    seen: list[tuple[str, int]] = []

    async def reader() -> None:
        cursor: Cursor = start
        while True:
            finished = done.is_set()
            async with store_engine.connect() as conn:
                page = await store.read_all(conn, cursor, limit=97)
            seen.extend((e.stream_id, e.stream_version) for e in page.events)
            cursor = page.next
            if finished and not page.events and not page.held_back:
                return
            await asyncio.sleep(0)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(s) for s in streams))
    done.set()
    await reading
    mine = [s for s in seen if s[0] in set(streams)]
    assert len(mine) == len(set(mine)) == 20 * per_stream
    for stream in streams:
        versions = [v for s, v in mine if s == stream]
        assert versions == list(range(1, per_stream + 1))


async def test_snapshot_is_ignored_under_another_schema_key(store_engine: AsyncEngine) -> None:
    stream = sid()
    async with store_engine.begin() as conn:
        await save_snapshot(conn, stream, 7, "v1", {"total": 42})
        await save_snapshot(conn, stream, 5, "v1", {"total": 1})  # older: ignored
    async with store_engine.connect() as conn:
        snap = await load_snapshot(conn, stream, "v1")
        assert snap is not None and (snap.stream_version, snap.state) == (7, {"total": 42})
        assert await load_snapshot(conn, stream, "v2") is None


async def test_rewind_makes_the_relay_read_every_event_from_a_position_again(
    store_engine: AsyncEngine,
) -> None:
    from mes_events.relay import rewind

    stream = sid()
    async with store_engine.begin() as conn:
        envs = await store.append(conn, stream, 0, [Counted(n=i) for i in range(6)], meta())
    from_position = envs[3].position
    assert from_position is not None
    cursor = await rewind(store_engine, "r-test", "broker-x", from_position)
    async with store_engine.connect() as conn:
        saved = (
            await conn.execute(
                text("SELECT tx_id, position FROM relay_checkpoint WHERE relay = 'r-test'")
            )
        ).one()
    assert Cursor(int(saved[0]), int(saved[1])) == cursor
    again: set[int | None] = set()
    # Transaction ids are server-wide: another database's open transaction holds rows back.
    for _ in range(200):
        async with store_engine.connect() as conn:
            page = await store.read_all(conn, cursor, limit=100_000)
        again |= {e.position for e in page.events}
        cursor = page.next
        if not page.held_back:
            break
        await asyncio.sleep(0.05)
    assert {e.position for e in envs[3:]} <= again


async def test_append_many_writes_each_stream_at_its_version_in_one_statement(
    store_engine: AsyncEngine, store_uow: UnitOfWork
) -> None:
    old, new = sid(), sid()
    async with store_engine.begin() as conn:
        await store.append(conn, old, 0, [Counted(n=1)], meta())
    async with store_uow.transaction() as conn:
        written = await store.append_many(
            conn,
            [
                Append(old, 1, [Counted(n=2), Renamed(label="b")], meta()),
                Append(new, 0, [Counted(n=9)], meta()),
            ],
        )
    assert [[e.stream_version for e in es] for es in written] == [[2, 3], [1]]
    async with store_engine.connect() as conn:
        stored_old = await store.read_stream(conn, old)
        stored_new = await store.read_stream(conn, new)
    assert [e.event_id for e in stored_old[1:]] == [e.event_id for e in written[0]]
    assert [e.position for e in stored_old[1:]] == [e.position for e in written[0]]
    assert [e.data for e in stored_new] == [{"n": 9}]


async def test_append_many_with_one_stale_stream_raises_and_stores_nothing(
    store_engine: AsyncEngine,
) -> None:
    fresh, moved = sid(), sid()
    async with store_engine.begin() as conn:
        await store.append(conn, moved, 0, [Counted(n=1), Counted(n=2)], meta())
    with pytest.raises(ConcurrencyError) as caught:
        async with store_engine.begin() as conn:
            await store.append_many(
                conn,
                [
                    Append(fresh, 0, [Counted(n=1)], meta()),
                    Append(moved, 1, [Counted(n=3)], meta()),
                ],
            )
    assert (caught.value.stream_id, caught.value.expected, caught.value.actual) == (moved, 1, 2)
    async with store_engine.connect() as conn:
        assert await store.stream_version(conn, fresh) == 0
        assert await store.stream_version(conn, moved) == 2


async def test_append_many_refuses_the_same_stream_twice(store_engine: AsyncEngine) -> None:
    stream = sid()
    async with store_engine.begin() as conn:
        with pytest.raises(ValueError, match="at most once"):
            await store.append_many(
                conn,
                [
                    Append(stream, 0, [Counted(n=1)], meta()),
                    Append(stream, 1, [Counted(n=2)], meta()),
                ],
            )
