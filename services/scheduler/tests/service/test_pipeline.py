"""Over the real broker: the orders service's OrderReceived reaches the scheduler's planner, and
the scheduler's OrderProjected reaches the orders service's read model."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest

from mes_events.db import drop_database
from mes_events.service import ALL_ROLES
from mes_events.settings import KafkaSettings
from mes_events.testing.plugin import fresh_database
from mes_orders.entrypoints.api.app import MIGRATIONS as ORDERS_MIGRATIONS
from mes_orders.testing import Api as OrdersApi
from mes_orders.testing import order_body
from mes_orders.testing import running as orders_running
from mes_scheduler.testing import Api, running, two_shifts, work_center_body
from service.plan_checks import published_equals_memory

pytestmark = pytest.mark.integration


async def eventually(probe: Callable[[], Awaitable[bool]], seconds: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await probe():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def test_order_received_is_planned_and_its_projection_reaches_orders(
    pg_server_url: str, scheduler_db: str, kafka_settings: KafkaSettings
) -> None:
    orders_db = await fresh_database(pg_server_url, "t_orders_for_sched", ORDERS_MIGRATIONS)
    try:
        async for sched in running(
            scheduler_db, kafka_settings, ALL_ROLES, verify_plans=True, improver_enabled=False
        ):
            async for orders in orders_running(orders_db, kafka_settings, ALL_ROLES):
                await _order_to_projection(sched, orders)
    finally:
        await drop_database(pg_server_url, orders_db.rsplit("/", 1)[-1].split("?")[0])


async def _order_to_projection(sched: Api, orders: OrdersApi) -> None:
    for wc, group in (("SAW-1", "SAW"), ("CNC-1", "CNC"), ("CNC-2", "CNC")):
        body = work_center_body(wc, group, calendar=two_shifts())
        assert (await sched.client.post("/work-centers", json=body)).status_code == 201
    r = await orders.client.post("/orders", json=order_body(f"ERP-{uuid.uuid4().hex[:8]}"))
    assert r.status_code == 201, r.text
    order_id = r.json()["order_id"]

    async def planned() -> bool:
        r = await sched.client.get(f"/orders/{order_id}/projection")
        return r.status_code == 200 and r.json()["status"] == "planned"

    await eventually(planned)
    projection = (await sched.client.get(f"/orders/{order_id}/projection")).json()
    gantt = (await sched.client.get("/schedule")).json()
    mine = sorted((o["seq"], o["work_center_id"][:3]) for o in gantt if o["order_id"] == order_id)
    assert mine == [(10, "SAW"), (20, "CNC")]

    async def projected_in_orders() -> bool:
        at = (await orders.client.get(f"/orders/{order_id}")).json()["projected_completion_at"]
        return at is not None and at == projection["projected_completion_at"]

    await eventually(projected_in_orders)
    await published_equals_memory(sched)
