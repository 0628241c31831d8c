"""Read models follow other services' events published by another process.

The scheduler, quality and inventory services are stood in for by a separate process that
publishes their events to their topics exactly as their relays would (CloudEvents headers,
stream versions); the orders service runs all its roles (API, relay, consumer).
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from mes_events.catalog.inventory import MaterialShortage
from mes_events.catalog.orders import OrderReceived
from mes_events.catalog.quality import DispositionDecided
from mes_events.catalog.scheduler import JobCompleted, JobStarted, OrderProjected
from mes_events.envelope import EventEnvelope
from mes_events.kafka import make_consumer
from mes_events.service import ALL_ROLES
from mes_events.settings import KafkaSettings
from mes_events.testing.events import Foreign
from mes_events.topics import ORDERS, topic_for
from mes_orders.testing import Api, order_body, running

pytestmark = pytest.mark.integration

PUBLISHER = Path(__file__).with_name("publish_events.py")
DUE = "2026-12-01T12:00:00Z"


@pytest.fixture(scope="module")
async def live(orders_db: str, kafka_settings: KafkaSettings) -> AsyncIterator[Api]:
    """The orders service with every role: API, relay and the progress consumer."""
    async for a in running(orders_db, kafka_settings, ALL_ROLES):
        yield a


@dataclass
class OtherService(Foreign):
    """Stands in for another service: numbers its streams and publishes from a subprocess."""

    kafka: KafkaSettings = field(kw_only=True)

    async def publish(self, *envelopes: EventEnvelope) -> None:
        records = [
            {
                "topic": topic_for(e.event_type),
                "key": e.stream_id,
                "headers": [[k, v.decode()] for k, v in e.headers()],
                "value": e.value().decode(),
            }
            for e in envelopes
        ]
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(PUBLISHER),
            self.kafka.bootstrap_servers,
            stdin=asyncio.subprocess.PIPE,
        )
        await proc.communicate(orjson.dumps(records))
        assert proc.returncode == 0


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "read model did not catch up"
        await asyncio.sleep(0.1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def create(api: Api, ref: str, **overrides: Any) -> str:
    r = await api.client.post("/orders", json=order_body(ref, due_date=DUE, **overrides))
    assert r.status_code == 201, r.text
    order_id: str = r.json()["order_id"]
    return order_id


def projected(order_id: str, completion: str) -> OrderProjected:
    c = at(completion)
    late = Decimal((c - at(DUE)).total_seconds() / 60)
    return OrderProjected(
        plan_id="default",
        order_id=order_id,
        projected_completion_at=c,
        due_at=at(DUE),
        lateness_minutes=late,
    )


def completed(order_id: str, seq: int, good: int, scrap: int, when: str) -> JobCompleted:
    return JobCompleted(
        job_id=f"{order_id}-{seq}",
        order_id=order_id,
        operation_seq=seq,
        work_center_id="WC1",
        good_quantity=good,
        scrap_quantity=scrap,
        actual_minutes=Decimal(30),
        operator="op-7",
        completed_at=at(when),
    )


async def detail(api: Api, order_id: str) -> dict[str, Any]:
    r = await api.client.get(f"/orders/{order_id}")
    assert r.status_code == 200
    body: dict[str, Any] = r.json()
    return body


async def test_projections_follow_the_scheduler_and_the_order_completes(
    live: Api, kafka_settings: KafkaSettings
) -> None:
    scheduler = OtherService("mes/scheduler", kafka=kafka_settings)
    a = await create(live, "CONS-A", priority=2)
    b = await create(live, "CONS-B", priority=4)
    c = await create(live, "CONS-C", priority=1)
    await scheduler.publish(
        scheduler.envelope("plan-default", projected(a, "2026-12-02T12:00:00+00:00")),
        scheduler.envelope("plan-default", projected(b, "2026-12-03T00:00:00+00:00")),
        scheduler.envelope("plan-default", projected(c, "2026-11-30T12:00:00+00:00")),
    )

    async def projected_all() -> bool:
        return (await detail(live, c))["projected_completion_at"] is not None

    await eventually(projected_all)
    order_a = await detail(live, a)
    assert order_a["projected_completion_at"] == "2026-12-02T12:00:00Z"
    assert Decimal(order_a["lateness_minutes"]) == 1440 and order_a["at_risk"] is True
    assert (await detail(live, c))["at_risk"] is False
    risky = (await live.client.get("/orders/at-risk")).json()
    # a: 1440 min x weight 4 = 5760; b: 2160 min x weight 2 = 4320; c is early
    assert [o["order_id"] for o in risky] == [a, b]
    assert Decimal(risky[0]["weighted_lateness"]) == 5760
    listed = (await live.client.get("/orders", params={"at_risk": "true"})).json()["items"]
    assert {o["order_id"] for o in listed} == {a, b}

    started = JobStarted(
        job_id=f"{a}-10",
        order_id=a,
        operation_seq=10,
        work_center_id="WC1",
        operator="op-7",
        started_at=at("2026-11-25T08:00:00+00:00"),
    )
    await scheduler.publish(
        scheduler.envelope(f"job-{a}-10", started),
        scheduler.envelope(f"job-{a}-10", completed(a, 10, 10, 0, "2026-11-25T10:00:00+00:00")),
        scheduler.envelope(f"job-{a}-20", completed(a, 20, 8, 2, "2026-11-26T10:00:00+00:00")),
    )

    async def last_op_reported() -> bool:
        return bool((await detail(live, a))["operations"][1]["status"] == "completed")

    await eventually(last_op_reported)
    order_a = await detail(live, a)
    assert order_a["status"] == "short", "scrap left it short: the order stays open"
    assert (order_a["good_quantity"], order_a["scrap_quantity"]) == (8, 2)
    ops = [(o["seq"], o["good_quantity"], o["scrap_quantity"]) for o in order_a["operations"]]
    assert ops == [(10, 10, 0), (20, 8, 2)]
    assert order_a["operations"][0]["started_at"] == "2026-11-25T08:00:00Z"

    make_up = scheduler.envelope(
        f"job-{a}-20b", completed(a, 20, 2, 0, "2026-12-02T09:00:00+00:00")
    )
    await scheduler.publish(make_up)

    async def is_completed() -> bool:
        return bool((await detail(live, a))["status"] == "completed")

    await eventually(is_completed)
    order_a = await detail(live, a)
    assert (order_a["good_quantity"], order_a["scrap_quantity"]) == (10, 2)
    assert order_a["on_time"] is False and order_a["completed_at"] == "2026-12-02T09:00:00Z"
    history = (await live.client.get(f"/orders/{a}/history")).json()["events"]
    last = history[-1]
    assert last["type"] == "orders.OrderCompleted"
    assert last["causation_id"] == str(make_up.event_id)
    assert last["correlation_id"] == str(make_up.correlation_id)
    assert last["data"] == {
        "order_id": a,
        "good_quantity": 10,
        "scrap_quantity": 2,
        "completed_at": "2026-12-02T09:00:00Z",
        "on_time": False,
    }
    assert [o["order_id"] for o in (await live.client.get("/orders/at-risk")).json()] == [b]
    amend = await live.client.patch(
        f"/orders/{a}", json={"quantity": 20}, headers={"If-Match": order_etag(history)}
    )
    assert amend.status_code == 409 and "is completed and cannot be amended" in amend.text
    cancel = await live.client.post(f"/orders/{a}/cancel", json={"reason": "too late"})
    assert cancel.status_code == 409 and "completed" in cancel.text


def order_etag(history: list[dict[str, Any]]) -> str:
    return f'"{history[-1]["version"]}"'


async def test_scrap_disposition_and_material_shortage(
    live: Api, kafka_settings: KafkaSettings
) -> None:
    scheduler = OtherService("mes/scheduler", kafka=kafka_settings)
    quality = OtherService("mes/quality", kafka=kafka_settings)
    inventory = OtherService("mes/inventory", kafka=kafka_settings)
    e = await create(live, "CONS-E", quantity=5)
    await scheduler.publish(
        scheduler.envelope(f"job-{e}-10", completed(e, 10, 5, 0, "2026-11-25T10:00:00+00:00"))
    )
    scrap = DispositionDecided.model_validate(
        {
            "ncr_id": "ncr-1",
            "order_id": e,
            "operation_seq": 10,
            "disposition": {"kind": "scrap", "quantity": 2},
            "decided_by": "qa-1",
        }
    )
    shortage = MaterialShortage(
        material_id="STEEL-BAR",
        order_id=e,
        operation_seq=10,
        required_quantity=Decimal("1.25"),
        missing_quantity=Decimal("0.5"),
    )
    await quality.publish(quality.envelope("ncr-1", scrap))
    await inventory.publish(inventory.envelope("material-STEEL-BAR", shortage))

    async def both_applied() -> bool:
        order = await detail(live, e)
        return bool(
            order["operations"][0]["scrap_quantity"] == 2
            and order["materials"][0]["status"] == "short"
        )

    await eventually(both_applied)
    order = await detail(live, e)
    assert (order["operations"][0]["good_quantity"], order["status"]) == (3, "in_progress")
    assert order["scrap_quantity"] == 2
    material = order["materials"][0]
    assert (material["required_quantity"], material["missing_quantity"]) == ("1.25", "0.5")


async def test_order_events_are_published_with_their_snapshot(
    live: Api, kafka_settings: KafkaSettings
) -> None:
    oid = await create(live, "PUB-1")
    r = await live.client.post(f"/orders/{oid}/cancel", json={"reason": "test"})
    assert r.status_code == 200
    consumer = make_consumer(kafka_settings, f"t-orders-{uuid.uuid4().hex[:6]}", ORDERS)
    await consumer.start()
    seen: list[EventEnvelope] = []
    try:
        deadline = asyncio.get_running_loop().time() + 60
        while len(seen) < 2:
            assert asyncio.get_running_loop().time() < deadline, f"only {seen}"
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for rec in records:
                    env = EventEnvelope.from_kafka(rec.headers, rec.value)
                    if env.stream_id == oid:
                        seen.append(env)
    finally:
        await consumer.stop()
    received, cancelled = sorted(seen, key=lambda e: e.stream_version)
    assert (received.event_type, cancelled.event_type) == (
        "orders.OrderReceived",
        "orders.OrderCancelled",
    )
    assert received.source == "mes/orders" and received.stream_type == "order"
    payload = received.payload()
    assert isinstance(payload, OrderReceived)
    assert payload.external_ref == "PUB-1" and [op.seq for op in payload.routing] == [10, 20]
    inspection = payload.routing[1].inspection
    assert inspection is not None and inspection.characteristics[0].upper == Decimal("12.02")


async def test_amending_a_short_order_down_to_what_was_made_completes_it(
    live: Api, kafka_settings: KafkaSettings
) -> None:
    scheduler = OtherService("mes/scheduler", kafka=kafka_settings)
    s = await create(live, "CONS-SHORT")
    await scheduler.publish(
        scheduler.envelope(f"job-{s}-10", completed(s, 10, 10, 0, "2026-11-25T10:00:00+00:00")),
        scheduler.envelope(f"job-{s}-20", completed(s, 20, 8, 2, "2026-11-26T10:00:00+00:00")),
    )

    async def is_short() -> bool:
        return bool((await detail(live, s))["status"] == "short")

    await eventually(is_short)
    r = await live.client.patch(
        f"/orders/{s}",
        json={"quantity": 8, "reason": "customer takes 8"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "completed" and r.headers["etag"] == '"3"'
    amended, done = (await live.client.get(f"/orders/{s}/history")).json()["events"][1:]
    assert (amended["type"], done["type"]) == ("orders.OrderAmended", "orders.OrderCompleted")
    assert done["causation_id"] == amended["event_id"]
    assert done["data"]["good_quantity"] == 8 and done["data"]["scrap_quantity"] == 2


async def test_events_about_unknown_orders_leave_no_rows(
    live: Api, kafka_settings: KafkaSettings
) -> None:
    scheduler = OtherService("mes/scheduler", kafka=kafka_settings)
    known = await create(live, "CONS-KNOWN")
    # The unknown order's event goes first on the same stream, so once the known order's
    # event is applied the unknown one has been handled too.
    await scheduler.publish(
        scheduler.envelope("job-mixed", completed("not-ours", 10, 1, 0, "2026-11-25T10:00:00Z")),
        scheduler.envelope("job-mixed", completed(known, 10, 1, 0, "2026-11-25T10:00:00Z")),
    )

    async def applied() -> bool:
        return bool((await detail(live, known))["operations"][0]["good_quantity"] == 1)

    await eventually(applied)
    async with live.runtime.engine.connect() as conn:
        rows = await conn.scalar(
            text("SELECT count(*) FROM order_operation_v1 WHERE order_id = 'not-ours'")
        )
    assert rows == 0
