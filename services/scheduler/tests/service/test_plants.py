"""Over the real broker and PostgreSQL: two plants' schedulers (north, south, each with its own
database and consumer group) read the same topics; each plans exactly its plant's orders, and a
machine down in north does not touch south's plan, though both name their machines alike."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import text

from mes_events.db import drop_database
from mes_events.envelope import EventEnvelope
from mes_events.kafka import ensure_topics, make_producer
from mes_events.service import ALL_ROLES
from mes_events.settings import KafkaSettings
from mes_events.testing.plugin import fresh_database
from mes_events.topics import ORDERS
from mes_scheduler.entrypoints.api.app import MIGRATIONS
from mes_scheduler.testing import Api, order_received, running, two_shifts, work_center_body
from service.plan_checks import plan_events, published_equals_memory

pytestmark = pytest.mark.integration

CENTERS = (("SAW-1", "SAW"), ("CNC-1", "CNC"), ("CNC-2", "CNC"))


async def eventually(probe: Callable[[], Awaitable[bool]], seconds: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await probe():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


@pytest.fixture
async def plants(
    pg_server_url: str, kafka_settings: KafkaSettings
) -> AsyncIterator[tuple[Api, Api]]:
    urls = [await fresh_database(pg_server_url, f"t_sched_{p}", MIGRATIONS) for p in ("n", "s")]
    options: dict[str, Any] = {"verify_plans": True, "improver_enabled": False}
    try:
        async for north in running(urls[0], kafka_settings, ALL_ROLES, plant_id="north", **options):
            async for south in running(
                urls[1], kafka_settings, ALL_ROLES, plant_id="south", **options
            ):
                yield north, south
    finally:
        for url in urls:
            await drop_database(pg_server_url, url.rsplit("/", 1)[-1].split("?")[0])


async def publish_orders(kafka: KafkaSettings, plant_of: dict[str, str]) -> None:
    """OrderReceived for each order, as the orders service's relay publishes it."""
    envelopes = [
        EventEnvelope(
            event_id=uuid4(),
            event_type=e.type_name,
            schema_version=e.version,
            source="mes/orders",
            stream_type=e.stream_type,
            stream_id=order_id,
            stream_version=1,
            occurred_at=datetime.now(UTC),
            correlation_id=uuid4(),
            causation_id=None,
            data=e.model_dump(mode="json"),
        )  # fmt: skip
        for order_id, plant in plant_of.items()
        for e in [order_received(order_id, (10, "SAW", 2), (20, "CNC", 6), plant_id=plant)]
    ]
    await ensure_topics(kafka, ORDERS)
    producer = make_producer(kafka)
    await producer.start()
    try:
        for env in envelopes:
            key = env.stream_id.encode()
            await producer.send_and_wait(ORDERS, env.value(), key=key, headers=env.headers())
    finally:
        await producer.stop()


async def consumed_version(api: Api, source: str, stream_id: str) -> int:
    """The version of another service's stream this scheduler's planner has consumed."""
    q = text("SELECT stream_version FROM consumer_stream WHERE source = :s AND stream_id = :id")
    async with api.runtime.engine.connect() as conn:
        found = (await conn.execute(q, {"s": source, "id": stream_id})).scalar()
    return int(found or 0)


async def test_each_plant_plans_its_own_orders_and_a_breakdown_stays_in_its_plant(
    plants: tuple[Api, Api], kafka_settings: KafkaSettings
) -> None:
    north, south = plants
    for api in plants:
        for wc, group in CENTERS:
            body = work_center_body(wc, group, calendar=two_shifts())
            assert (await api.client.post("/work-centers", json=body)).status_code == 201

    async def centers_known() -> bool:
        return all(
            api.planner.committed is not None
            and len(api.planner.state.plan.plant.work_centers) == 3
            for api in plants
        )

    await eventually(centers_known)
    # Several orders per plant, so their keys spread over the topic's partitions.
    run = uuid4().hex[:6]
    plant_of = {f"{p[0].upper()}{i}-{run}": p for p in ("north", "south") for i in range(4)}
    await publish_orders(kafka_settings, plant_of)

    def mine(plant: str) -> set[str]:
        return {o for o, p in plant_of.items() if p == plant}

    async def planned() -> bool:
        return all(
            set(api.planner.state.plan.orders) == mine(plant)
            and api.planner.state.foreign == set(plant_of) - mine(plant)
            for api, plant in ((north, "north"), (south, "south"))
        )

    await eventually(planned)
    async with north.runtime.engine.connect() as conn:
        consumers = await conn.execute(text("SELECT DISTINCT consumer FROM consumer_stream"))
        assert [c for (c,) in consumers] == ["scheduler.planner.north"]
    # The CNC center with north's work on it goes down; south has a center of the same name.
    on_cnc = [s.work_center for s in north.planner.state.plan.slots.values()]
    busy = max(("CNC-1", "CNC-2"), key=on_cnc.count)
    stream = f"work-center-{busy}"
    south_revision = south.planner.state.plan.revision
    south_events = len(await plan_events(south))

    r = await north.client.post(f"/work-centers/{busy}/down", json={"reason": "spindle"})
    assert r.status_code == 200, r.text
    north_source = north.runtime.store.source

    async def down_everywhere() -> bool:
        moved = north.planner.state.plan.center(busy).calendar.downtime != ()
        seen = await consumed_version(south, north_source, stream) == 2
        return moved and seen

    await eventually(down_everywhere)
    async with north.runtime.engine.connect() as conn:
        down = (await north.runtime.store.read_stream(conn, stream))[-1]
    caused = [e.data for e in await plan_events(north) if e.causation_id == down.event_id]
    assert caused and caused[0]["caused_by"] == str(down.event_id) and caused[0]["changed"]
    assert south.planner.state.plan.center(busy).calendar.downtime == ()
    assert south.planner.state.plan.revision == south_revision
    assert len(await plan_events(south)) == south_events
    for api in plants:
        await published_equals_memory(api)
