"""Store -> relay -> real broker -> consumer: every event once in effect, in stream order."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mes_events.consumer import ConsumerRunner, Outcome, dlq_topic
from mes_events.embedded import EmbeddedBroker
from mes_events.envelope import EventEnvelope
from mes_events.relay import Relay
from mes_events.settings import KafkaSettings
from mes_events.store import EventStore
from mes_events.testing.events import Counted, meta
from mes_events.uow import UnitOfWork

pytestmark = pytest.mark.integration
store = EventStore("mes/test")


@pytest.fixture(scope="module", autouse=True)
async def received_table(store_engine: AsyncEngine) -> None:
    async with store_engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE received (seq bigserial PRIMARY KEY, consumer text, stream_id text,"
                " stream_version int, event_id uuid)"
            )
        )


def recorder(name: str) -> Callable[[AsyncConnection, EventEnvelope], Coroutine[Any, Any, None]]:
    async def handle(conn: AsyncConnection, env: EventEnvelope) -> None:
        await conn.execute(
            text(
                "INSERT INTO received (consumer, stream_id, stream_version, event_id)"
                " VALUES (:c, :s, :v, :e)"
            ),
            {"c": name, "s": env.stream_id, "v": env.stream_version, "e": env.event_id},
        )

    return handle


class Running:
    """Background tasks (relays, consumers) stopped together."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self, coro: Coroutine[Any, Any, None]) -> None:
        self.tasks.append(asyncio.create_task(coro))

    async def close(self) -> None:
        self.stop.set()
        await asyncio.wait_for(asyncio.gather(*self.tasks, return_exceptions=True), 30)


@contextlib.asynccontextmanager
async def running() -> AsyncIterator[Running]:
    r = Running()
    try:
        yield r
    finally:
        await r.close()


async def write(uow: UnitOfWork, streams: list[str], per_stream: int) -> None:
    """One writer: one event per transaction, round-robin over its streams."""
    for version in range(per_stream):
        for stream in streams:
            async with uow.transaction() as conn:
                await store.append(conn, stream, version, [Counted(n=version)], meta())


async def wait_for_count(
    engine: AsyncEngine, consumer: str, n: int, timeout: float, *, stream: str = "%"
) -> int:
    deadline = asyncio.get_running_loop().time() + timeout
    count = 0
    while asyncio.get_running_loop().time() < deadline:
        async with engine.connect() as conn:
            count = int(
                (
                    await conn.execute(
                        text(
                            "SELECT count(*) FROM received"
                            " WHERE consumer = :c AND stream_id LIKE :s"
                        ),
                        {"c": consumer, "s": stream},
                    )
                ).scalar_one()
            )
        if count >= n:
            return count
        await asyncio.sleep(0.2)
    return count


async def assert_exactly_once_in_order(engine: AsyncEngine, consumer: str, expected: int) -> None:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT stream_id, stream_version FROM received"
                    " WHERE consumer = :c ORDER BY seq"
                ),
                {"c": consumer},
            )
        ).all()
    assert len(rows) == expected
    assert len(set(rows)) == expected, "an event was applied twice"
    last: dict[str, int] = {}
    for stream_id, version in rows:
        assert version == last.get(stream_id, 0) + 1, f"{stream_id} out of order at {version}"
        last[stream_id] = version


def topic() -> str:
    return f"mes.test.{uuid.uuid4().hex[:8]}"


async def test_eight_writers_twenty_thousand_events_each_once_in_order(
    store_engine: AsyncEngine, store_uow: UnitOfWork, kafka_settings: KafkaSettings
) -> None:
    t, name = topic(), f"c-{uuid.uuid4().hex[:6]}"
    relay = Relay(f"r-{t}", t, store, store_engine, kafka_settings)
    consumer = ConsumerRunner(name, [t], recorder(name), store_uow, kafka_settings)
    async with store_engine.connect() as conn:
        before = int((await conn.execute(text("SELECT count(*) FROM stored_event"))).scalar_one())
    async with running() as r:
        r.start(relay.run(r.stop))
        r.start(consumer.run(r.stop))
        # 8 writers x 25 streams x 100 versions = 20,000 single-event transactions
        writers = [[f"w{w}-s{s}-{uuid.uuid4().hex[:6]}" for s in range(25)] for w in range(8)]
        await asyncio.gather(*(write(store_uow, streams, 100) for streams in writers))
        got = await wait_for_count(store_engine, name, before + 20_000, timeout=120)
    assert got == before + 20_000
    await assert_exactly_once_in_order(store_engine, name, before + 20_000)
    assert consumer.counts[Outcome.DEAD_LETTER] == 0


async def test_fresh_broker_after_loss_nothing_lost_nothing_twice(
    store_engine: AsyncEngine,
    store_uow: UnitOfWork,
    broker: EmbeddedBroker | str,
    kafka_settings: KafkaSettings,
) -> None:
    if not isinstance(broker, EmbeddedBroker):
        pytest.skip("needs the embedded broker to kill it")
    t, name = topic(), f"c-{uuid.uuid4().hex[:6]}"
    async with store_engine.connect() as conn:
        before = int((await conn.execute(text("SELECT count(*) FROM stored_event"))).scalar_one())
    streams = [f"loss-{i}-{uuid.uuid4().hex[:6]}" for i in range(10)]
    async with running() as r:
        r.start(Relay(f"r-{t}", t, store, store_engine, kafka_settings).run(r.stop))
        r.start(ConsumerRunner(name, [t], recorder(name), store_uow, kafka_settings).run(r.stop))
        await write(store_uow, streams, 50)
        assert await wait_for_count(store_engine, name, before + 500, 60) == before + 500
    broker.restart_empty()  # everything the broker held is gone
    async with running() as r:  # "restart" relay and consumer as new processes would
        r.start(Relay(f"r-{t}", t, store, store_engine, kafka_settings).run(r.stop))
        consumer = ConsumerRunner(name, [t], recorder(name), store_uow, kafka_settings)
        r.start(consumer.run(r.stop))
        await write_more(store_uow, streams, start=50, per_stream=30)
        total = before + 500 + 300
        assert await wait_for_count(store_engine, name, total, 90) == total
        # the relay republished the whole store to the new broker: the consumer saw the
        # old events again and applied none of them twice
        deadline = asyncio.get_running_loop().time() + 30
        while consumer.counts[Outcome.DUPLICATE] < before + 500:
            assert asyncio.get_running_loop().time() < deadline, consumer.counts
            await asyncio.sleep(0.2)
    await assert_exactly_once_in_order(store_engine, name, total)


async def write_more(uow: UnitOfWork, streams: list[str], start: int, per_stream: int) -> None:
    for version in range(start, start + per_stream):
        for stream in streams:
            async with uow.transaction() as conn:
                await store.append(conn, stream, version, [Counted(n=version)], meta())


async def test_poison_and_malformed_messages_go_to_dlq_and_the_rest_is_processed(
    store_engine: AsyncEngine, store_uow: UnitOfWork, kafka_settings: KafkaSettings
) -> None:
    t, name = topic(), f"c-{uuid.uuid4().hex[:6]}"
    stream = f"poison-{uuid.uuid4().hex[:6]}"
    async with store_engine.begin() as conn:
        envs = await store.append(conn, stream, 0, [Counted(n=i) for i in range(5)], meta())
    poison_id = envs[2].event_id
    ok = recorder(name)

    async def handler(conn: AsyncConnection, env: EventEnvelope) -> None:
        if env.event_id == poison_id:
            raise ValueError("cannot handle n=2")
        await ok(conn, env)

    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await producer.start()
    # malformed messages written straight to the topic, before the real events
    await producer.send_and_wait(t, b"{not json", key=b"x", headers=[("ce_id", b"1")])
    await producer.send_and_wait(t, b'{"n": 1}', key=b"y")
    await producer.stop()
    consumer = ConsumerRunner(name, [t], handler, store_uow, kafka_settings)
    async with running() as r:
        r.start(Relay(f"r-{t}", t, store, store_engine, kafka_settings).run(r.stop))
        r.start(consumer.run(r.stop))
        assert await wait_for_count(store_engine, name, 4, 60, stream=stream) == 4
        deadline = asyncio.get_running_loop().time() + 30
        while consumer.counts[Outcome.DEAD_LETTER] < 3:
            assert asyncio.get_running_loop().time() < deadline, consumer.counts
            await asyncio.sleep(0.1)
    async with store_engine.connect() as conn:
        versions = (
            (
                await conn.execute(
                    text("SELECT stream_version FROM received WHERE stream_id = :s ORDER BY seq"),
                    {"s": stream},
                )
            )
            .scalars()
            .all()
        )
        dead = (
            await conn.execute(
                text("SELECT event_id, error FROM dead_letter WHERE consumer = :c ORDER BY id"),
                {"c": name},
            )
        ).all()
    assert versions == [1, 2, 4, 5]
    assert consumer.counts[Outcome.DEAD_LETTER] == 3
    labels = {"consumer": name, "topic": t}
    assert REGISTRY.get_sample_value("mes_consumer_dead_letters_total", labels) == 3
    poisoned = [d for d in dead if d.event_id is not None]
    malformed = [d for d in dead if d.event_id is None]
    assert [d.event_id for d in poisoned] == [str(poison_id)]
    assert "cannot handle n=2" in poisoned[0].error
    assert len(malformed) == 2 and all("MalformedMessage" in d.error for d in malformed)
    dlq = await read_topic(kafka_settings, dlq_topic(t), 3)
    errors = sorted(dict(m.headers)["dlq_error"].decode() for m in dlq)
    assert any("cannot handle n=2" in e for e in errors)
    assert sum("MalformedMessage" in e for e in errors) == 2


async def read_topic(settings: KafkaSettings, name: str, n: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        name,
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    out: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while len(out) < n and asyncio.get_running_loop().time() < deadline:
            for msgs in (await consumer.getmany(timeout_ms=500)).values():
                out.extend(msgs)
    finally:
        await consumer.stop()
    return out
