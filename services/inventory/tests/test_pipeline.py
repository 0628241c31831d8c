"""End to end over the broker: orders and scheduler events published by their own stores and
relays reach the inventory consumer, and the inventory relay publishes what it decided."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text

from mes_events import topics
from mes_events.auth import ORDERS_WRITE
from mes_events.catalog.scheduler import JobCompleted
from mes_events.db import create_database, drop_database, make_engine, migrate
from mes_events.registry import DomainEvent
from mes_events.relay import Relay
from mes_events.settings import KafkaSettings
from mes_events.store import EventStore, Metadata
from mes_events.testing.auth import auth_settings, bearer
from mes_events.testing.plugin import STORE_MIGRATIONS
from mes_events.uow import UnitOfWork
from mes_inventory.config import Settings
from mes_inventory.entrypoints.api.app import create_app
from mes_inventory.testing import T0, order

pytestmark = pytest.mark.integration


async def eventually(probe: Callable[[], Awaitable[bool]], seconds: float = 45) -> None:
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
        self.relay = Relay(
            service, topics.topic_for_source(service), self.store, self.engine, kafka
        )
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(self.relay.run(self.stop))

    async def publish(self, stream_id: str, event: DomainEvent) -> None:
        meta = Metadata(T0, uuid.uuid4())
        async with self.uow.transaction() as conn:
            version = await self.store.stream_version(conn, stream_id)
            await self.store.append(conn, stream_id, version, [event], meta)

    async def close(self) -> None:
        self.stop.set()
        await self.task
        await self.uow.close()
        await self.engine.dispose()


async def test_orders_and_jobs_over_the_broker_reserve_and_consume(
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
    erp = bearer(ORDERS_WRITE, subject="erp")
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test", headers=erp) as client,
        ):
            at = (T0 + timedelta(days=1)).isoformat()
            r = await client.post("/receipts", json={"material_id": f"M-{tag}", "lot_id":
                                  f"L-{tag}", "quantity": "100", "received_at": at,
                                  "auto_register": True})  # fmt: skip
            assert r.status_code == 201
            o = f"SO-{tag}"
            await orders.publish(o, order(o, {f"M-{tag}": "3"}, quantity=10))

            async def reserved() -> bool:
                r = await client.get(f"/orders/{o}/materials")
                return r.status_code == 200 and r.json()["materials"][0]["reserved"] == "30"

            await eventually(reserved)
            done = JobCompleted(
                job_id=f"J-{tag}", order_id=o, operation_seq=10, work_center_id="LATHE-1",
                good_quantity=10, scrap_quantity=0, actual_minutes=Decimal(20), operator="ann",
                completed_at=T0,
            )  # fmt: skip
            await jobs.publish(f"J-{tag}", done)

            async def consumed() -> bool:
                r = await client.get(f"/lots/L-{tag}/genealogy")
                return [u["order_id"] for u in r.json()["consumed_into"]] == [o]

            await eventually(consumed)

            async def relayed() -> bool:
                async with app.state.runtime.engine.connect() as conn:
                    q = text("SELECT coalesce(sum(published), 0) FROM relay_checkpoint")
                    published = (await conn.execute(q)).scalar_one()
                    q = text("SELECT count(*) FROM stored_event")
                    return bool(published >= (await conn.execute(q)).scalar_one())

            await eventually(relayed)
    finally:
        await orders.close()
        await jobs.close()
        for s in urls:
            await drop_database(pg_server_url, f"t_{s}_{tag}")
