"""Garbage on a consumed topic: the consumer keeps going, poison goes to the DLQ and is counted.

The orders service runs its API and its consumer of the other services' topics against the
module's broker. Another producer writes, to `mes.scheduler`, records no relay would write:
not JSON, broken CloudEvents headers, an event type nobody knows, JSON that violates the
event's schema, a tombstone and a value near the producer's size limit; then one valid event.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from prometheus_client import REGISTRY
from sqlalchemy import text

from mes_events.auth import ORDERS_WRITE
from mes_events.catalog.scheduler import JobStarted
from mes_events.consumer import dlq_topic
from mes_events.db import drop_database
from mes_events.envelope import EventEnvelope
from mes_events.kafka import ensure_topics
from mes_events.registry import DomainEvent
from mes_events.service import Role
from mes_events.settings import KafkaSettings
from mes_events.testing.auth import bearer
from mes_events.testing.events import Foreign
from mes_events.testing.plugin import fresh_database
from mes_events.topics import QUALITY, SCHEDULER
from mes_orders.testing import order_body

from .apps import SERVICES

pytestmark = pytest.mark.integration

CONSUMER = "orders.progress"
SOURCE = "mes/scheduler"
# aiokafka's default max_request_size: the largest record a default producer (a relay) sends.
LIMIT = 1_048_576
# Under that limit with room for the DLQ's extra headers.
HUGE_BYTES = 1_000_000


@dataclass(frozen=True)
class Garbage:
    """One record to write, and whether the consumer must dead-letter it."""

    name: str
    value: bytes | None
    headers: list[tuple[str, bytes]]
    poison: bool


def envelope(event: DomainEvent, stream_id: str) -> EventEnvelope:
    """The first event of `stream_id`, as the scheduler's relay would publish it."""
    return Foreign(SOURCE).envelope(stream_id, event)


def job_started(order_id: str) -> JobStarted:
    return JobStarted(
        job_id=f"{order_id}-10",
        order_id=order_id,
        operation_seq=10,
        work_center_id="SAW-1",
        operator="op-7",
        started_at=datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
    )


def with_header(headers: list[tuple[str, bytes]], name: str, value: bytes | None) -> Any:
    kept = [(k, v) for k, v in headers if k != name]
    return kept if value is None else [*kept, (name, value)]


def garbage(order_id: str) -> list[Garbage]:
    """Records no relay writes, each on a stream of its own (so none waits for another)."""

    def valid(stream: str) -> EventEnvelope:
        return envelope(job_started(order_id), stream)

    ok = valid("g-ok")
    h = ok.headers()
    unknown = EventEnvelope(**{**_fields(valid("g-unknown")), "event_type": "scheduler.Teleported"})
    huge = {**ok.data, "operator": "x" * HUGE_BYTES}
    return [
        Garbage("not json", b"{not json", valid("g-1").headers(), poison=True),
        Garbage("json array", b"[1, 2]", valid("g-2").headers(), poison=True),
        Garbage("tombstone", None, valid("g-3").headers(), poison=True),
        Garbage("no headers", ok.value(), [], poison=True),
        Garbage("no ce_id", ok.value(), with_header(valid("g-4").headers(), "ce_id", None), True),
        Garbage("bad specversion", ok.value(), with_header(h, "ce_specversion", b"0.3"), True),
        Garbage("header not utf-8", ok.value(), with_header(h, "ce_subject", b"\xff\xfe"), True),
        Garbage("version not a number", ok.value(), with_header(h, "ce_streamversion", b"x"), True),
        Garbage("id not a uuid", ok.value(), with_header(h, "ce_id", b"not-a-uuid"), True),
        Garbage("unknown type", unknown.value(), unknown.headers(), poison=False),
        Garbage(
            "schema violated",
            orjson.dumps({**ok.data, "operation_seq": "ten", "started_at": "yesterday"}),
            valid("g-5").headers(),
            poison=True,
        ),
        Garbage("huge", orjson.dumps(huge), valid("g-6").headers(), poison=True),
    ]


def _fields(env: EventEnvelope) -> dict[str, Any]:
    return {name: getattr(env, name) for name in EventEnvelope.__dataclass_fields__}


@pytest.fixture(scope="module")
async def orders_api(
    pg_server_url: str, kafka_settings: KafkaSettings
) -> AsyncIterator[httpx.AsyncClient]:
    """The orders API with its consumer of the scheduler, quality and inventory topics."""
    service = SERVICES["orders"]
    url = await fresh_database(pg_server_url, "t_badkafka_orders", service.migrations)
    app = service.app(url, roles=frozenset({Role.API, Role.CONSUMER}), kafka=kafka_settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://test",
            headers=bearer(ORDERS_WRITE),
        ) as client,
    ):
        client.app = app  # type: ignore[attr-defined]
        yield client
    await drop_database(pg_server_url, url.rsplit("/", 1)[-1].split("?")[0])


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_garbage_is_dead_lettered_and_the_consumer_keeps_going(
    orders_api: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    created = await orders_api.post("/orders", json=order_body(f"KAFKA-{uuid.uuid4().hex[:6]}"))
    assert created.status_code == 201, created.text
    order_id = created.json()["order_id"]
    records = garbage(order_id)
    poison = [g for g in records if g.poison]
    dead_before = counted("mes_consumer_dead_letters_total", consumer=CONSUMER, topic=SCHEDULER)
    outcome_before = counted(
        "mes_consumer_messages_total", consumer=CONSUMER, outcome="dead_letter"
    )

    await ensure_topics(kafka_settings, SCHEDULER)
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_settings.bootstrap_servers, max_request_size=HUGE_BYTES + 65_536
    )
    await producer.start()
    try:
        for g in records:
            await producer.send_and_wait(SCHEDULER, g.value, key=b"garbage", headers=g.headers)
        # After all of it, on the same partition: a real event the consumer must still apply.
        started = envelope(job_started(order_id), f"{order_id}-10")
        await producer.send_and_wait(
            SCHEDULER, started.value(), key=b"garbage", headers=started.headers()
        )
    finally:
        await producer.stop()

    runtime = orders_api.app.state.runtime  # type: ignore[attr-defined]
    async with asyncio.timeout(60):
        while (await orders_api.get(f"/orders/{order_id}")).json()["status"] != "in_progress":
            await asyncio.sleep(0.2)
        # Malformed records of a batch are dead-lettered after its events are applied.
        while len(dead := await dead_letters(runtime)) < len(poison):
            await asyncio.sleep(0.2)
    assert len(dead) == len(poison), [(o, e[:80]) for o, e in dead]
    errors = [e for _, e in dead]
    assert sum("MalformedMessage" in e for e in errors) == len(poison) - 2, errors
    assert sum("ValidationError" in e for e in errors) == 2, errors  # schema violated, huge
    dead_after = counted("mes_consumer_dead_letters_total", consumer=CONSUMER, topic=SCHEDULER)
    assert dead_after - dead_before == len(poison)
    outcome_after = counted("mes_consumer_messages_total", consumer=CONSUMER, outcome="dead_letter")
    assert outcome_after - outcome_before == len(poison)
    dlq = await read_all(kafka_settings, dlq_topic(SCHEDULER), len(poison))
    assert sorted(int(dict(m.headers)["dlq_offset"]) for m in dlq) == [o for o, _ in dead]
    assert max(len(m.value or b"") for m in dlq) > HUGE_BYTES  # the huge one kept whole
    assert all(not t.done() for t in runtime._tasks), "a background role stopped"
    assert (await orders_api.get("/readyz")).status_code == 200


async def dead_letters(runtime: Any, topic: str = SCHEDULER) -> list[Any]:
    query = text(
        'SELECT "offset", error FROM dead_letter WHERE consumer = :c AND topic = :t ORDER BY 1'
    )
    async with runtime.engine.connect() as conn:
        return list((await conn.execute(query, {"c": CONSUMER, "t": topic})).all())


async def read_all(settings: KafkaSettings, topic: str, n: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.bootstrap_servers,
        auto_offset_reset="earliest",
        group_id=None,
        fetch_max_bytes=8 * 1_048_576,
        max_partition_fetch_bytes=4 * 1_048_576,
    )
    await consumer.start()
    out: list[Any] = []
    try:
        async with asyncio.timeout(30):
            while len(out) < n:
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    out.extend(messages)
    finally:
        await consumer.stop()
    return out


async def test_a_record_at_the_size_limit_is_dead_lettered(
    orders_api: httpx.AsyncClient, kafka_settings: KafkaSettings
) -> None:
    """Garbage as large as a default producer sends (1 MiB) still goes to the DLQ."""
    headers = envelope(job_started("nobody"), "at-limit").headers()
    room = LIMIT - DefaultRecordBatchBuilder.estimate_size_in_bytes(b"k", b"", headers)
    value = b"\x00" * (room - 64)
    await ensure_topics(kafka_settings, QUALITY)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers)
    await producer.start()
    try:  # a default producer: max_request_size is 1 MiB
        sent = await producer.send_and_wait(QUALITY, value, key=b"k", headers=headers)
    finally:
        await producer.stop()
    runtime = orders_api.app.state.runtime  # type: ignore[attr-defined]
    async with asyncio.timeout(6):  # garbage needs no retries: dead-lettered in well under 1 s
        while sent.offset not in {o for o, _ in await dead_letters(runtime, QUALITY)}:
            await asyncio.sleep(0.2)
    # Too large for the DLQ with its headers: copied without the value, which stays at the source.
    (copy,) = [
        m
        for m in await read_all(kafka_settings, dlq_topic(QUALITY), 1)
        if dict(m.headers)["dlq_offset"] == str(sent.offset).encode()
    ]
    assert copy.value is None
    assert dict(copy.headers)["dlq_value_omitted_bytes"] == str(len(value)).encode()
