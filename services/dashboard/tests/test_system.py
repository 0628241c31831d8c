"""The dashboard against running services: panels, graceful degradation, the merged stream."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from mes_dashboard.testing import RunningSystem
from mes_events.testing.sse_client import Message, read_messages
from mes_orders.testing import order_body

pytestmark = pytest.mark.integration


async def post_order(system: RunningSystem, *, material: str) -> str:
    """A new order (via the orders API, as the ERP would) needing `material`; its id."""
    ref = f"ERP-{uuid.uuid4().hex[:8]}"
    materials = [{"material_id": material, "quantity_per_unit": "2", "operation_seq": 10}]
    async with httpx.AsyncClient(base_url=system.urls["orders"], timeout=10) as client:
        response = await client.post("/orders", json=order_body(ref, materials=materials))
    assert response.status_code == 201, response.text
    order_id: str = response.json()["order_id"]
    return order_id


async def until(check: Any, *, timeout: float = 30) -> Any:
    """Poll `check()` until it returns something truthy."""
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.2)
    return result


async def events_until(
    messages: AsyncIterator[Message], done: Any, *, timeout: float = 30
) -> list[Message]:
    seen: list[Message] = []
    async with asyncio.timeout(timeout):
        async for m in messages:
            seen.append(m)
            if done(m):
                return seen
    raise AssertionError("the stream ended")


def order_received(m: Message, order_id: str) -> bool:
    return (
        m.data is not None
        and m.event == "message"
        and (m.json().get("type") == "orders.OrderReceived" and m.json().get("subject") == order_id)
    )


async def test_the_page_and_its_assets_are_served(system: RunningSystem) -> None:
    async with httpx.AsyncClient(base_url=system.dashboard, timeout=10) as client:
        page = await client.get("/")
        script = await client.get("/static/app.js")
        charts = await client.get("/static/vendor/echarts.min.js")
    assert page.status_code == 200 and 'id="gantt"' in page.text
    assert script.status_code == 200
    if charts.status_code != 200:
        pytest.fail("static/vendor/echarts.min.js is missing: run `make install` (needs npm)")


async def answers(system: RunningSystem, service: str, path: str) -> bool:
    """Whether `service` itself serves `path` (it may not exist, or not offer it yet)."""
    if not system.running(service):
        return False
    async with httpx.AsyncClient(base_url=system.urls[service], timeout=10) as client:
        return (await client.get(path)).is_success


async def test_panels_say_which_service_is_unavailable(system: RunningSystem) -> None:
    async with httpx.AsyncClient(base_url=system.dashboard, timeout=10) as client:
        services = (await client.get("/api/services")).json()
        gantt = (await client.get("/api/gantt")).json()
        kpis = (await client.get("/api/kpis")).json()
        materials = (await client.get("/api/materials")).json()
    assert services == {s: system.running(s) for s in services}
    assert services["orders"] and services["inventory"]
    assert materials["source"] == {"available": True, "error": None}
    assert gantt["source"]["available"] is await answers(system, "scheduler", "/schedule")
    for service in ("scheduler", "quality"):
        source = kpis["sources"][service]
        assert source["available"] is await answers(system, service, "/kpis")
        if not system.running(service):
            assert source["error"] == f"{service} service unavailable"
        elif not source["available"]:
            assert source["error"] == f"{service} service does not offer this yet"


async def test_a_shortage_reaches_the_materials_and_at_risk_panels(system: RunningSystem) -> None:
    order_id = await post_order(system, material=f"UNOBTAINIUM-{uuid.uuid4().hex[:6]}")
    async with httpx.AsyncClient(base_url=system.dashboard, timeout=10) as client:

        async def shortage() -> list[dict[str, Any]]:
            body = (await client.get("/api/materials")).json()
            return [s for s in body["shortages"] if s["order_id"] == order_id]

        (row,) = await until(shortage)
        at_risk = (await client.get("/api/at-risk")).json()
    assert row["short"] == "20" and row["operation_seq"] == 10  # 10 pieces x 2 per piece
    assert at_risk["sources"]["orders"]["available"]


async def test_the_merged_stream_resumes_every_service_exactly(system: RunningSystem) -> None:
    async with (
        httpx.AsyncClient(base_url=system.dashboard, timeout=30) as client,
        client.stream("GET", "/api/events") as first,
    ):
        messages = read_messages(first)
        statuses = await events_until(messages, lambda m: m.event == "status")
        first_order = await post_order(system, material="STEEL-BAR")
        seen = await events_until(messages, lambda m: order_received(m, first_order))
    assert any(m.event == "status" for m in statuses)
    resume_at = seen[-1].id
    assert resume_at is not None and "orders=" in resume_at

    second_order = await post_order(system, material="STEEL-BAR")  # while disconnected
    async with (
        httpx.AsyncClient(base_url=system.dashboard, timeout=30) as client,
        client.stream("GET", "/api/events", headers={"Last-Event-ID": resume_at}) as resumed,
    ):
        again = await events_until(
            read_messages(resumed), lambda m: order_received(m, second_order)
        )
    from_orders = [m.json() for m in again if m.data and m.event == "message"]
    from_orders = [e for e in from_orders if e["source"] == "mes/orders"]
    assert [(e["type"], e["subject"]) for e in from_orders] == [
        ("orders.OrderReceived", second_order)
    ]
