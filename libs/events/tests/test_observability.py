"""Correlation id and W3C trace from REST into events, Kafka headers and a consumer's events;
the metrics every service serves."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from fastapi import APIRouter, Request
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

import mes_events.metrics  # noqa: F401 - registers the re-plan histogram
from mes_events import logs
from mes_events.auth import ORDERS_WRITE, READ, GuardedRoute, requires
from mes_events.consumer import ConsumerRunner
from mes_events.envelope import EventEnvelope
from mes_events.kafka import make_producer
from mes_events.relay import Relay
from mes_events.service import Role, ServiceRuntime, build_app
from mes_events.settings import KafkaSettings, ServiceSettings
from mes_events.store import START, Cursor, EventStore, Metadata
from mes_events.testing.auth import auth_settings, bearer
from mes_events.testing.events import Counted, Renamed
from mes_events.testing.plugin import STORE_MIGRATIONS
from mes_events.tracing import TraceParent
from mes_events.uow import UnitOfWork

pytestmark = pytest.mark.integration
router = APIRouter(route_class=GuardedRoute)
SERVICE = "obstest"


@router.post("/counters/{counter_id}/add")
@requires(ORDERS_WRITE)
async def add(counter_id: str, request: Request) -> dict[str, int]:
    runtime: ServiceRuntime = request.app.state.runtime
    correlation = uuid.UUID(request.headers["X-Correlation-Id"])
    meta = Metadata(occurred_at=datetime.now(UTC), correlation_id=correlation)
    async with runtime.uow.transaction() as conn:
        version = await runtime.store.stream_version(conn, counter_id)
        await runtime.store.append(conn, counter_id, version, [Counted(n=1)], meta)
    return {"version": version + 1}


@dataclass
class Served:
    client: httpx.AsyncClient
    runtime: ServiceRuntime


@pytest.fixture(scope="module")
async def served(store_db_url: str) -> AsyncIterator[Served]:
    settings = ServiceSettings(service=SERVICE, database_url=store_db_url, auth=auth_settings())
    runtime = ServiceRuntime(settings, STORE_MIGRATIONS, roles=frozenset({Role.API}))
    app = build_app(runtime, title="observability test", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=bearer(ORDERS_WRITE)
        ) as client,
    ):
        yield Served(client, runtime)


async def test_correlation_id_is_made_when_missing_and_echoed_when_sent(served: Served) -> None:
    made = await served.client.post("/counters/c-made/add")
    assert made.status_code == 200
    correlation = uuid.UUID(made.headers["X-Correlation-Id"])
    async with served.runtime.engine.connect() as conn:
        (event,) = await served.runtime.store.read_stream(conn, "c-made")
    assert event.correlation_id == correlation  # the id the response reports is the stored one
    sent = str(uuid.uuid4())
    echoed = await served.client.get("/counters/x", headers={"X-Correlation-Id": sent})
    assert echoed.headers["X-Correlation-Id"] == sent


async def test_a_request_without_traceparent_starts_a_trace(served: Served) -> None:
    response = await served.client.post("/counters/c-root/add")
    span = TraceParent.parse(response.headers["traceparent"])
    assert span is not None
    async with served.runtime.engine.connect() as conn:
        (event,) = await served.runtime.store.read_stream(conn, "c-root")
    assert event.traceparent == str(span)


def echo(store: EventStore, seen: list[dict[str, Any]]) -> Any:
    """A consumer that answers each Counted with a Renamed on `<stream>-echo`."""

    async def handle(conn: AsyncConnection, env: EventEnvelope) -> None:
        if env.event_type != Counted.type_name:
            return
        seen.append(logs.chain_fields())
        meta = Metadata(datetime.now(UTC), env.correlation_id, env.event_id)
        await store.append(conn, f"{env.stream_id}-echo", 0, [Renamed(label="echo")], meta)

    return handle


async def kafka_headers(kafka: KafkaSettings, topic: str, key: str) -> dict[str, bytes]:
    """The headers of the first record on `topic` with `key`."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka.bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            async for record in consumer:
                if record.key == key.encode():
                    return dict(record.headers)
    finally:
        await consumer.stop()
    raise AssertionError("unreachable")


async def wait_for_stream(store: EventStore, served: Served, stream: str) -> EventEnvelope:
    async with asyncio.timeout(60):
        while True:
            async with served.runtime.engine.connect() as conn:
                events = await store.read_stream(conn, stream)
            if events:
                return events[0]
            await asyncio.sleep(0.1)


async def test_trace_goes_from_rest_to_event_to_kafka_header_to_the_consumers_event(
    served: Served, kafka_settings: KafkaSettings
) -> None:
    caller = TraceParent.new()
    correlation = str(uuid.uuid4())
    stream, topic = f"c-{uuid.uuid4().hex[:8]}", f"mes.test.{uuid.uuid4().hex[:8]}"
    response = await served.client.post(
        f"/counters/{stream}/add",
        headers={"traceparent": str(caller), "X-Correlation-Id": correlation},
    )
    assert response.status_code == 200
    server = TraceParent.parse(response.headers["traceparent"])
    assert server is not None
    assert server.trace_id == caller.trace_id and server.span_id != caller.span_id
    assert response.headers["X-Correlation-Id"] == correlation

    store, rt = served.runtime.store, served.runtime
    async with rt.engine.connect() as conn:
        (stored,) = await store.read_stream(conn, stream)
    assert stored.traceparent == str(server)

    seen: list[dict[str, Any]] = []
    relay = Relay(f"r-{topic}", topic, store, rt.engine, kafka_settings)
    consumer = ConsumerRunner(f"c-{topic}", [topic], echo(store, seen), rt.uow, kafka_settings)
    stop = asyncio.Event()
    tasks = [asyncio.create_task(relay.run(stop)), asyncio.create_task(consumer.run(stop))]
    try:
        headers = await kafka_headers(kafka_settings, topic, stream)
        answered = await wait_for_stream(store, served, f"{stream}-echo")
    finally:
        stop.set()
        await asyncio.wait(tasks, timeout=30)
    assert headers["traceparent"] == str(server).encode()
    assert headers["ce_correlationid"] == correlation.encode()

    continued = TraceParent.parse(answered.traceparent)
    assert continued is not None and continued.trace_id == caller.trace_id
    assert continued.span_id not in (server.span_id, caller.span_id)
    assert str(answered.correlation_id) == correlation
    assert answered.causation_id == stored.event_id
    mine = [s for s in seen if s.get("correlation_id") == correlation]
    assert mine and mine[0]["trace_id"] == caller.trace_id
    assert mine[0]["span_id"] == continued.span_id and mine[0]["event_id"] == str(stored.event_id)
    lag = REGISTRY.get_sample_value(
        "mes_consumer_lag_messages", {"consumer": f"c-{topic}", "topic": topic}
    )
    assert lag == 0


_LAST = (
    "SELECT tx_id::text::bigint, position FROM stored_event"
    " ORDER BY tx_id DESC, position DESC LIMIT 1"
)


async def test_relay_lag_counts_what_is_not_published(
    served: Served, kafka_settings: KafkaSettings
) -> None:
    rt = served.runtime
    await served.client.post(f"/counters/lag-{uuid.uuid4().hex[:6]}/add")
    topic = f"mes.test.{uuid.uuid4().hex[:8]}"
    relay = Relay(f"r-{topic}", topic, rt.store, rt.engine, kafka_settings)
    async with rt.engine.connect() as conn:
        stored = (await conn.execute(text("SELECT count(*) FROM stored_event"))).scalar_one()
        last = (await conn.execute(text(_LAST))).one()
    assert await relay.unpublished(START) == stored > 0
    assert await relay.unpublished(Cursor(int(last[0]), int(last[1]) - 1)) == 1
    assert await relay.unpublished(Cursor(int(last[0]), int(last[1]))) == 0
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        async with asyncio.timeout(30):
            while REGISTRY.get_sample_value("mes_relay_lag_events", {"relay": relay.name}) != 0:
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait([task], timeout=30)


async def test_metrics_after_traffic(served: Served) -> None:
    before = REGISTRY.get_sample_value("mes_events_appended_total", {"source": f"mes/{SERVICE}"})
    for _ in range(3):
        assert (await served.client.post("/counters/c-metrics/add")).status_code == 200
    assert (await served.client.get("/no/such/route", headers=bearer(READ))).status_code == 404
    metrics = (await served.client.get("/metrics")).text
    route = 'route="/counters/{counter_id}/add"'
    latency = [
        line
        for line in metrics.splitlines()
        if line.startswith("mes_http_request_duration_seconds_count") and route in line
    ]
    assert latency and f'service="{SERVICE}"' in latency[0] and 'status="200"' in latency[0]
    assert float(latency[0].rsplit(" ", 1)[1]) >= 3
    assert 'route="<unmatched>"' in metrics
    after = REGISTRY.get_sample_value("mes_events_appended_total", {"source": f"mes/{SERVICE}"})
    assert after == (before or 0) + 3
    # for the scheduler to observe; served before its first repair too
    assert "# TYPE mes_replan_duration_seconds histogram" in metrics


async def gauge_reaches(name: str, labels: dict[str, str], value: float) -> None:
    async with asyncio.timeout(30):
        while REGISTRY.get_sample_value(name, labels) != value:
            await asyncio.sleep(0.05)


async def test_consumer_lag_counts_what_waits_behind_a_slow_batch(
    store_uow: UnitOfWork, kafka_settings: KafkaSettings
) -> None:
    topic, stream = f"mes.test.{uuid.uuid4().hex[:8]}", f"lag-{uuid.uuid4().hex[:6]}"
    release = asyncio.Event()

    async def slow_after_three(conn: AsyncConnection, env: EventEnvelope) -> None:
        if env.stream_version > 3:
            await release.wait()

    runner = ConsumerRunner(f"c-{topic}", [topic], slow_after_three, store_uow, kafka_settings)
    labels = {"consumer": runner.name, "topic": topic}
    envelopes = [
        EventEnvelope(uuid.uuid4(), Counted.type_name, 1, "mes/test", "counter", stream, v,
                      datetime.now(UTC), uuid.uuid4(), None, {"n": v})
        for v in range(1, 8)
    ]  # fmt: skip
    producer = make_producer(kafka_settings)
    await producer.start()
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        for env in envelopes[:3]:
            await producer.send_and_wait(topic, env.value(), stream.encode(), headers=env.headers())
        await gauge_reaches("mes_consumer_lag_messages", labels, 0)
        # one producer batch: the consumer fetches all four at once, and stalls on the first
        for env in envelopes[3:]:
            await producer.send(topic, env.value(), stream.encode(), headers=env.headers())
        await producer.flush()
        await gauge_reaches("mes_consumer_lag_messages", labels, 4)
        release.set()
        await gauge_reaches("mes_consumer_lag_messages", labels, 0)
    finally:
        release.set()
        stop.set()
        await asyncio.wait([task], timeout=30)
        await producer.stop()
