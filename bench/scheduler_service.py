"""Scheduler service benchmark: how fast the living plan absorbs events, and how soon a repair
is published.

The service runs as its own process (`python -m mes_scheduler`, every role, improver off
unless --improver) on the embedded broker and PostgreSQL. This script stands in for the
orders and inventory services: it publishes their events to mes.orders / mes.inventory with
the headers their relays set, and reads mes.scheduler like any consumer would.

1. 30 work centers (10 groups x 3, two shifts) are registered over REST.
2. Throughput: 1,000 OrderReceived (1-5 operations each) published at once, then a mixed
   backlog (quantity and due-date amendments, cancellations with a new order each, material
   shortages and arrivals); events/s = events / time until the planner logged the last one.
3. Latency: orders, quantity amendments and cancellations (each moves the plan) paced at
   --rate events/s; for each, the time from the broker acknowledging it to its
   ScheduleRevised (caused_by = its id) arriving on mes.scheduler: p50 / p99.

Usage: uv run python bench/scheduler_service.py [--orders 1000] [--mixed 1000]
       [--latency-events 300] [--rate 10] [--improver]
The last line is a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import orjson
from aiokafka import AIOKafkaProducer
from sqlalchemy import text

from mes_events import topics
from mes_events.catalog.common import MaterialRequirement, RoutingOperation
from mes_events.catalog.inventory import MaterialReserved, MaterialShortage
from mes_events.catalog.orders import OrderAmended, OrderCancelled, OrderReceived
from mes_events.db import create_database, drop_database, make_engine
from mes_events.embedded import EmbeddedBroker, free_port
from mes_events.envelope import EventEnvelope
from mes_events.kafka import ensure_topics, make_consumer, make_producer
from mes_events.settings import KafkaSettings
from mes_events.testing.benchdb import percentile, server_url
from mes_events.testing.events import Foreign

GROUPS = [f"G{g:02d}" for g in range(10)]
SHIFTS = {
    "weekly": [
        {"day": d, "start": "06:00", "end": "22:00"} for d in ("mon", "tue", "wed", "thu", "fri")
    ]
}


def new_order(rng: random.Random, order_id: str) -> OrderReceived:
    steps = rng.randint(1, 5)
    routing = tuple(
        RoutingOperation(
            seq=10 * (k + 1),
            operation=f"op{k}",
            work_center_group=rng.choice(GROUPS),
            setup_minutes=Decimal(rng.randint(0, 30)),
            run_minutes_per_unit=Decimal(str(round(rng.uniform(0.2, 3.0), 2))),
        )
        for k in range(steps)
    )
    materials = (
        MaterialRequirement(
            material_id=f"M{rng.randint(0, 49):02d}", quantity_per_unit=Decimal(1), operation_seq=10
        ),
    )
    return OrderReceived(
        order_id=order_id,
        external_ref=f"ERP-{order_id}",
        customer="C",
        product="P",
        quantity=rng.randint(5, 60),
        priority=rng.randint(1, 5),
        routing=routing,
        due_at=datetime.now(UTC) + timedelta(days=rng.uniform(1, 20)),
        materials=materials,
    )


class Shop:
    """Draws plausible order and material events and keeps about the same number open."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.orders, self.inventory = Foreign("mes/orders"), Foreign("mes/inventory")
        self.open: list[str] = []
        self.serial = 0

    def arrival(self) -> EventEnvelope:
        self.serial += 1
        order_id = f"B{self.serial:06d}"
        self.open.append(order_id)
        return self.orders.envelope(order_id, new_order(self.rng, order_id))

    def moving(self) -> EventEnvelope:
        """An event that always moves the plan (for latency)."""
        kind = self.rng.choice(["arrival", "arrival", "quantity", "cancel"])
        if kind == "arrival" or len(self.open) < 10:
            return self.arrival()
        order_id = self.rng.choice(self.open)
        if kind == "cancel":
            self.open.remove(order_id)
            return self.orders.envelope(order_id, OrderCancelled(order_id=order_id, reason="x"))
        amended = OrderAmended(order_id=order_id, quantity=self.rng.randint(5, 80))
        return self.orders.envelope(order_id, amended)

    def mixed(self) -> list[EventEnvelope]:
        kind = self.rng.choice(["moving", "due", "short", "short"])
        if kind == "moving":
            return [self.moving()]
        order_id = self.rng.choice(self.open)
        if kind == "due":
            due = datetime.now(UTC) + timedelta(days=self.rng.uniform(1, 20))
            return [self.orders.envelope(order_id, OrderAmended(order_id=order_id, due_at=due))]
        material = f"M{self.rng.randint(0, 49):02d}"
        short = MaterialShortage(
            material_id=material,
            order_id=order_id,
            operation_seq=10,
            required_quantity=Decimal(10),
            missing_quantity=Decimal(5),
        )
        arrived = MaterialReserved(
            lot_id=f"L{self.serial}",
            material_id=material,
            order_id=order_id,
            operation_seq=10,
            quantity=Decimal(5),
            missing_quantity=Decimal(0),
        )
        return [
            self.inventory.envelope(f"material-{material}", short),
            self.inventory.envelope(f"lot-L{self.serial}-{order_id}", arrived),
        ]


async def publish(producer: AIOKafkaProducer, envelopes: list[EventEnvelope]) -> list[float]:
    """Send and wait for the broker's acknowledgements; the ack time of each."""
    futures = [
        await producer.send(
            topics.topic_for(e.event_type),
            e.value(),
            key=e.stream_id.encode(),
            headers=e.headers(),
        )
        for e in envelopes
    ]
    acked = []
    for f in futures:
        await f
        acked.append(time.perf_counter())
    return acked


async def logged(url: str) -> int:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            q = text(
                "SELECT count(*) FROM plan_input WHERE source IN ('mes/orders', 'mes/inventory')"
            )
            return int((await conn.execute(q)).scalar_one())
    finally:
        await engine.dispose()


async def wait_logged(url: str, count: int, timeout: float) -> float:
    """Seconds until the planner has logged `count` foreign events."""
    began = time.perf_counter()
    while await logged(url) < count:
        if time.perf_counter() - began > timeout:
            raise TimeoutError(f"planner logged {await logged(url)} of {count}")
        await asyncio.sleep(0.2)
    return time.perf_counter() - began


class Revisions:
    """Reads mes.scheduler and notes when each cause's ScheduleRevised arrived."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.consumer = make_consumer(kafka, f"bench-{uuid.uuid4().hex[:6]}", topics.SCHEDULER)
        self.seen: dict[str, float] = {}
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batches = await self.consumer.getmany(timeout_ms=100)
            now = time.perf_counter()
            for records in batches.values():
                for r in records:
                    if dict(r.headers).get("ce_type") == b"scheduler.ScheduleRevised":
                        cause = orjson.loads(r.value).get("caused_by")
                        if cause:
                            self.seen.setdefault(cause, now)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
        await self.consumer.stop()


def start_service(
    url: str, kafka: KafkaSettings, port: int, improver: bool
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SCHEDULER_DATABASE_URL": url,
        "SCHEDULER_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "SCHEDULER_KAFKA__PARTITIONS": str(kafka.partitions),
        "SCHEDULER_HTTP_PORT": str(port),
        "SCHEDULER_IMPROVER_ENABLED": str(improver).lower(),
        "SCHEDULER_SNAPSHOT_EVERY": "1000",
    }
    return subprocess.Popen([sys.executable, "-m", "mes_scheduler"], env=env)


async def ready(base: str, timeout: float = 60) -> None:
    began = time.perf_counter()
    async with httpx.AsyncClient(base_url=base) as client:
        while True:
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.perf_counter() - began > timeout:
                raise TimeoutError("the scheduler did not become ready")
            await asyncio.sleep(0.3)


async def run(args: argparse.Namespace) -> None:
    name = f"bench_scheduler_{uuid.uuid4().hex[:8]}"
    url = await create_database(server_url(), name)
    broker = EmbeddedBroker().start()
    kafka = broker.kafka_settings()
    await ensure_topics(kafka, topics.ORDERS, topics.INVENTORY, topics.SCHEDULER, topics.QUALITY)
    port = free_port("127.0.0.1")
    service = start_service(url, kafka, port, args.improver)
    base = f"http://127.0.0.1:{port}"
    producer = make_producer(kafka)
    revisions = Revisions(kafka)
    try:
        await ready(base)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for g in GROUPS:
                for i in range(3):
                    body = {
                        "id": f"{g}W{i}",
                        "group": g,
                        "calendar": SHIFTS,
                        "efficiency": str(random.Random(i).choice([0.8, 1, 1.2])),
                    }
                    assert (await client.post("/work-centers", json=body)).status_code == 201
        await producer.start()
        await revisions.start()
        shop = Shop(args.seed)

        arrivals = [shop.arrival() for _ in range(args.orders)]
        began = time.perf_counter()
        await publish(producer, arrivals)
        await wait_logged(url, len(arrivals), timeout=1800)
        seconds = time.perf_counter() - began
        arrival_rate = len(arrivals) / seconds
        print(
            f"{len(arrivals)} OrderReceived (open orders) absorbed in {seconds:.1f} s"
            f" = {arrival_rate:.1f} events/s"
        )

        mixed = [e for _ in range(args.mixed) for e in shop.mixed()]
        total = len(arrivals) + len(mixed)
        began = time.perf_counter()
        await publish(producer, mixed)
        await wait_logged(url, total, timeout=1800)
        seconds = time.perf_counter() - began
        mixed_rate = len(mixed) / seconds
        print(
            f"mixed backlog (amendments, cancellations + arrivals, shortages, arrivals of"
            f" material): {len(mixed)} events in {seconds:.1f} s = {mixed_rate:.1f} events/s"
        )

        latencies: list[float] = []
        sent: dict[str, float] = {}
        interval = 1 / args.rate
        began = time.perf_counter()
        for i in range(args.latency_events):
            env = shop.moving()
            (acked,) = await publish(producer, [env])
            sent[str(env.event_id)] = acked
            await asyncio.sleep(max(0.0, began + (i + 1) * interval - time.perf_counter()))
        deadline = time.perf_counter() + 120
        while time.perf_counter() < deadline and not set(sent) <= set(revisions.seen):
            await asyncio.sleep(0.2)
        latencies = sorted(
            (revisions.seen[k] - t) * 1000 for k, t in sent.items() if k in revisions.seen
        )
        missing = len(sent) - len(latencies)
        p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
        print(
            f"latency, Kafka ack -> ScheduleRevised on mes.scheduler, {args.rate}/s paced,"
            f" {len(latencies)} events ({missing} without a revision): p50 {p50:.1f} ms,"
            f" p99 {p99:.1f} ms, max {latencies[-1] if latencies else float('nan'):.1f} ms"
        )
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            t0 = time.perf_counter()
            gantt = (await client.get("/schedule")).json()
            gantt_ms = (time.perf_counter() - t0) * 1000
        print(f"GET /schedule with {len(gantt)} operations: {gantt_ms:.0f} ms")
        print(
            f"summary: orders={args.orders} centers=30 arrival_events_per_s={arrival_rate:.1f}"
            f" mixed_events_per_s={mixed_rate:.1f} latency_p50_ms={p50:.1f}"
            f" latency_p99_ms={p99:.1f} latency_events={len(latencies)} improver={args.improver}"
            f" schedule_ops={len(gantt)} schedule_get_ms={gantt_ms:.0f}"
        )
    finally:
        await revisions.stop()
        await producer.stop()
        service.terminate()
        service.wait(timeout=30)
        broker.stop()
        await drop_database(server_url(), name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--mixed", type=int, default=1000)
    parser.add_argument("--latency-events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--improver", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
