"""End to end over the broker: orders and scheduler events published by their own stores and
relays reach the quality consumer; the NCR flow's events come back on mes.quality."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import text

from mes_events import topics
from mes_events.auth import QUALITY_WRITE
from mes_events.catalog.quality import DispositionDecided, NonconformanceRaised, Rework
from mes_events.db import create_database, drop_database, make_engine, migrate
from mes_events.envelope import EventEnvelope
from mes_events.kafka import make_consumer
from mes_events.registry import DomainEvent
from mes_events.relay import Relay
from mes_events.settings import KafkaSettings
from mes_events.store import EventStore, Metadata
from mes_events.testing.auth import auth_settings, bearer
from mes_events.testing.plugin import STORE_MIGRATIONS
from mes_events.uow import UnitOfWork
from mes_quality.config import Settings
from mes_quality.entrypoints.api.app import create_app
from mes_quality.testing import T0, job, order, results

pytestmark = pytest.mark.integration


async def eventually(probe: Callable[[], Awaitable[bool]], seconds: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await probe():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


class Producer:
    """Another service: its own store in its own database, and its relay to its topic."""

    def __init__(self, service: str, url: str, kafka: KafkaSettings) -> None:
        self.engine = make_engine(url, pool_size=2)
        self.uow = UnitOfWork(self.engine, size=2)
        self.store = EventStore(f"mes/{service}")
        topic = topics.topic_for_source(service)
        self.relay = Relay(service, topic, self.store, self.engine, kafka)
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.relay.run(self.stop))

    async def publish(self, stream_id: str, event: DomainEvent) -> uuid.UUID:
        """Append as that service would; the stored event's id."""
        async with self.uow.transaction() as conn:
            version = await self.store.stream_version(conn, stream_id)
            (env,) = await self.store.append(
                conn, stream_id, version, [event], Metadata(T0, uuid.uuid4())
            )
        return env.event_id

    async def close(self) -> None:
        self.stop.set()
        await self.task
        await self.uow.close()
        await self.engine.dispose()


async def read_back(
    kafka: KafkaSettings, want: Callable[[list[EventEnvelope]], bool]
) -> list[EventEnvelope]:
    """mes.quality from the beginning, until `want` is satisfied by what was read."""
    consumer = make_consumer(kafka, f"t-quality-{uuid.uuid4().hex[:6]}", topics.QUALITY)
    await consumer.start()
    seen: list[EventEnvelope] = []
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while not want(seen):
            assert asyncio.get_running_loop().time() < deadline, f"only {seen}"
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen += [EventEnvelope.from_kafka(r.headers, r.value) for r in records]
    finally:
        await consumer.stop()
    return seen


async def test_job_before_order_then_ncr_and_rework_over_the_broker(
    pg_server_url: str, db_url: str, kafka_settings: KafkaSettings
) -> None:
    tag = uuid.uuid4().hex[:6]
    urls = {s: await create_database(pg_server_url, f"t_{s}_{tag}") for s in ("orders", "sched")}
    for url in urls.values():
        await migrate(url, STORE_MIGRATIONS)
    orders = Producer("orders", urls["orders"], kafka_settings)
    jobs = Producer("scheduler", urls["sched"], kafka_settings)
    settings = Settings(database_url=db_url, kafka=kafka_settings, auth=auth_settings())
    app = create_app(settings=settings)
    transport = httpx.ASGITransport(app=app)
    inspector = bearer(QUALITY_WRITE, subject="inspector")
    o = f"SO-{tag}"
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=transport, base_url="http://test", headers=inspector
            ) as client,
        ):
            # The completion travels first: quality holds it until the order's plan arrives.
            completed = await jobs.publish(f"J-{tag}", job(o, f"J-{tag}", good=40))

            async def waiting() -> bool:
                async with app.state.runtime.engine.connect() as conn:
                    q = text("SELECT count(*) FROM pending_job WHERE order_id = :o")
                    return bool((await conn.execute(q, {"o": o})).scalar_one())

            await eventually(waiting)
            await orders.publish(o, order(o))

            async def opened() -> list[str]:
                r = await client.get("/inspections", params={"order_id": o, "status": "open"})
                return [i["inspection_id"] for i in r.json()["inspections"]]

            async def any_open() -> bool:
                return bool(await opened())

            await eventually(any_open)
            (inspection_id,) = await opened()
            body = results(["10.04", "10", "10"], lot_id=f"L-{tag}", defect_codes=["OVERSIZE"])
            judged = await client.post(f"/inspections/{inspection_id}/results", json=body)
            assert judged.status_code == 200 and judged.json()["status"] == "failed", judged.text
            ncr_id = judged.json()["ncr_id"]
            rework = {
                "kind": "rework",
                "operations": [
                    {"operation": "regrind", "work_center_group": "GRINDER", "minutes": "30"}
                ],
            }
            decided = await client.post(
                f"/ncrs/{ncr_id}/disposition", json={"disposition": rework, "decided_by": "qa"}
            )
            assert decided.status_code == 200, decided.text

            def complete(seen: list[EventEnvelope]) -> bool:
                return any(e.event_type == DispositionDecided.type_name for e in seen)

            seen = await read_back(kafka_settings, complete)
    finally:
        await orders.close()
        await jobs.close()
        for s in urls:
            await drop_database(pg_server_url, f"t_{s}_{tag}")

    # Kafka orders events per partition, i.e. per stream; the two streams may interleave.
    inspection = [e for e in seen if e.stream_id == f"inspection-{inspection_id}"]
    ncr_events = [e for e in seen if e.stream_id == f"ncr-{ncr_id}"]
    assert [e.event_type for e in inspection] == [
        "quality.InspectionRequested",
        "quality.InspectionFailed",
    ]
    assert [e.event_type for e in ncr_events] == [
        "quality.NonconformanceRaised",
        "quality.DispositionDecided",
    ]
    requested, failed = inspection
    raised, disposed = ncr_events
    mine = inspection + ncr_events
    assert requested.causation_id == completed  # the JobCompleted that asked for it
    assert {e.source for e in mine} == {"mes/quality"}
    ncr = raised.payload()
    assert isinstance(ncr, NonconformanceRaised)
    assert (ncr.order_id, ncr.lot_id, ncr.quantity, ncr.defect_code) == (
        o,
        f"L-{tag}",
        1,
        "OVERSIZE",
    )
    decision = disposed.payload()
    assert isinstance(decision, DispositionDecided) and isinstance(decision.disposition, Rework)
    assert (decision.order_id, decision.operation_seq) == (o, 20)
    assert [(op.operation, op.work_center_group) for op in decision.disposition.operations] == [
        ("regrind", "GRINDER")
    ]
