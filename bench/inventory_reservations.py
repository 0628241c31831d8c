"""Inventory benchmarks: reservation throughput and genealogy query latency, on PostgreSQL.

1. 1,000 orders arrive at once against 200 materials with 25 lots each (3 materials per order,
   stock covering about 80 % of the demand, so some orders end short):
   a. applied by the consumer's handler in one transaction per poll of 1,000 (database work);
   b. end to end: committed by an orders store, relayed over the embedded broker, consumed.
2. GET /lots/{lot}/genealogy on a lot consumed into 10,000 orders (and /orders/{id}/genealogy).

Usage: uv run python bench/inventory_reservations.py [--orders 1000] [--materials 200]
       [--lots 25] [--genealogy-orders 10000] [--no-broker]
The last line is a summary.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import text

from mes_events import topics
from mes_events.auth import READ
from mes_events.catalog.orders import OrderReceived
from mes_events.catalog.scheduler import JobCompleted
from mes_events.db import create_database, drop_database, make_engine, migrate
from mes_events.embedded import EmbeddedBroker
from mes_events.relay import Relay
from mes_events.service import Role
from mes_events.settings import KafkaSettings
from mes_events.store import EventStore, Metadata
from mes_events.testing.auth import auth_settings, bearer
from mes_events.testing.benchdb import percentile, server_url
from mes_events.testing.plugin import STORE_MIGRATIONS
from mes_events.uow import UnitOfWork
from mes_inventory.application import handlers
from mes_inventory.application.context import Inventory
from mes_inventory.config import Settings
from mes_inventory.consumers.reactions import subscription
from mes_inventory.domain.lot import ReceiveMaterial
from mes_inventory.entrypoints.api.app import MIGRATIONS, create_app
from mes_inventory.testing import T0, FakeClock, Foreign, order


def open_inventory(url: str) -> Inventory:
    return Inventory(UnitOfWork(make_engine(url, pool_size=12)), EventStore("mes/inventory"),
                     FakeClock())  # fmt: skip


async def close(inv: Inventory) -> None:
    await inv.uow.close()
    await inv.uow.engine.dispose()


async def stock_up(url: str, materials: int, lots: int, demand: Decimal) -> float:
    """Receive `lots` lots of each material, about 80 % of the expected demand; receipts/s."""
    inv = open_inventory(url)
    per_lot = max(Decimal(1), (demand * Decimal("0.8") / materials / lots).quantize(Decimal(1)))
    rng = random.Random(7)
    jobs = [(m, lot) for m in range(materials) for lot in range(lots)]
    started = time.perf_counter()

    async def worker(share: list[tuple[int, int]]) -> None:
        for m, lot in share:
            at = T0 - timedelta(days=rng.randint(1, 60), minutes=lot)
            cmd = ReceiveMaterial(f"L{m}-{lot}", f"M{m}", per_lot, "S", at)
            await handlers.receive(inv, handlers.Receipt(cmd, auto_register=True))

    await asyncio.gather(*(worker(jobs[i::8]) for i in range(8)))
    elapsed = time.perf_counter() - started
    await close(inv)
    return len(jobs) / elapsed


def make_orders(n: int, materials: int, tag: str) -> list[OrderReceived]:
    rng = random.Random(11)
    return [
        order(f"{tag}{i}", {f"M{m}": Decimal(rng.randint(1, 3))
                            for m in rng.sample(range(materials), 3)},
              quantity=rng.randint(1, 20), priority=rng.randint(1, 5),
              due_in_days=rng.randint(1, 30))
        for i in range(n)
    ]  # fmt: skip


async def counts(url: str) -> tuple[int, int, int]:
    engine = make_engine(url, pool_size=1)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT (SELECT count(*) FROM demand),"
                    " count(*) FILTER (WHERE event_type = 'inventory.MaterialReserved'),"
                    " count(*) FILTER (WHERE event_type = 'inventory.MaterialShortage')"
                    " FROM stored_event"
                )
            )
        ).one()
    await engine.dispose()
    return int(row[0]), int(row[1]), int(row[2])


async def reserve_direct(url: str, placed: list[OrderReceived], poll: int = 1000) -> float:
    """The consumer handler over all orders, one transaction per poll; orders/s."""
    inv = open_inventory(url)
    handle = subscription(inv).handler
    source = Foreign("mes/orders", "order")
    envelopes = [source.envelope(o.order_id, o) for o in placed]
    started = time.perf_counter()
    for i in range(0, len(envelopes), poll):
        async with inv.uow.transaction() as conn:
            for env in envelopes[i : i + poll]:
                await handle(conn, env)
    elapsed = time.perf_counter() - started
    await close(inv)
    return len(placed) / elapsed


async def reserve_over_broker(url: str, placed: list[OrderReceived], kafka: KafkaSettings) -> float:
    """Orders committed at once by an orders store, relayed, consumed; seconds until all done."""
    orders_url = await create_database(server_url(), f"bench_orders_{uuid.uuid4().hex[:8]}")
    await migrate(orders_url, STORE_MIGRATIONS)
    engine = make_engine(orders_url, pool_size=2)
    uow, store = UnitOfWork(engine, size=2), EventStore("mes/orders")
    stop = asyncio.Event()
    relay = Relay("orders", topics.ORDERS, store, engine, kafka)
    relay_task = asyncio.create_task(relay.run(stop))
    settings = Settings(database_url=url, kafka=kafka, auth=auth_settings())
    app = create_app(frozenset({Role.CONSUMER}), settings=settings)
    try:
        async with app.router.lifespan_context(app):
            warm, *rest = placed
            await append_orders(uow, store, [warm])
            await wait_for_demand(url, 1)  # the consumer group has joined
            started = time.perf_counter()
            await append_orders(uow, store, rest)
            await wait_for_demand(url, len(placed))
            elapsed = time.perf_counter() - started
    finally:
        stop.set()
        await relay_task
        await uow.close()
        await engine.dispose()
        await drop_database(server_url(), orders_url.rsplit("/", 1)[-1])
    return elapsed


async def append_orders(uow: UnitOfWork, store: EventStore, placed: list[OrderReceived]) -> None:
    meta = Metadata(T0, uuid.uuid4())
    async with uow.transaction() as conn:
        for o in placed:
            await store.append(conn, o.order_id, 0, [o], meta)


async def wait_for_demand(url: str, n: int) -> None:
    engine = make_engine(url, pool_size=1)
    async with engine.connect() as conn:
        while (await conn.execute(text("SELECT count(*) FROM demand"))).scalar_one() < n:
            await conn.rollback()  # a fresh snapshot for the next look
            await asyncio.sleep(0.02)
    await engine.dispose()


async def genealogy(url: str, n: int) -> tuple[float, list[float], list[float]]:
    """One lot consumed into `n` orders; setup rate and the two queries' latencies (ms)."""
    inv = open_inventory(url)
    cmd = ReceiveMaterial("G-LOT", "GEN", Decimal(n * 2), "S", T0 - timedelta(days=90))
    await handlers.receive(inv, handlers.Receipt(cmd, auto_register=True))
    handle = subscription(inv).handler
    orders_src, jobs_src = Foreign("mes/orders", "order"), Foreign("mes/scheduler", "job")
    started = time.perf_counter()
    for i in range(0, n, 500):
        async with inv.uow.transaction() as conn:
            for k in range(i, min(n, i + 500)):
                o = f"G{k}"
                await handle(conn, orders_src.envelope(o, order(o, {"GEN": "1"}, quantity=1)))
                done = JobCompleted(
                    job_id=f"GJ{k}",
                    order_id=o,
                    operation_seq=10,
                    work_center_id="W",
                    good_quantity=1,
                    scrap_quantity=0,
                    actual_minutes=Decimal(1),
                    operator="op",
                    completed_at=T0,
                )
                await handle(conn, jobs_src.envelope(f"GJ{k}", done))  # fmt: skip
    setup_rate = 2 * n / (time.perf_counter() - started)
    await close(inv)
    settings = Settings(database_url=url, auth=auth_settings())
    app = create_app(frozenset({Role.API}), settings=settings)
    lot_ms, order_ms = [], []
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://b", headers=bearer(READ)
        ) as c,
    ):
        for i in range(25):
            t = time.perf_counter()
            r = await c.get("/lots/G-LOT/genealogy")
            lot_ms.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200 and r.json()["orders"] == n, r.text[:200]
            t = time.perf_counter()
            r = await c.get(f"/orders/G{i * 37 % n}/genealogy")
            order_ms.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200 and len(r.json()["lots"]) == 1
    return setup_rate, sorted(lot_ms[5:]), sorted(order_ms[5:])


async def main(args: argparse.Namespace) -> None:
    tag = uuid.uuid4().hex[:8]
    base = await create_database(server_url(), f"bench_inv_{tag}")
    await migrate(base, MIGRATIONS)
    placed = make_orders(args.orders, args.materials, "O")
    demand = sum((sum((m.quantity_per_unit for m in o.materials), Decimal(0)) * o.quantity
                  for o in placed), Decimal(0))  # fmt: skip
    receipts_per_s = await stock_up(base, args.materials, args.lots, demand)
    print(f"stock: {args.materials} materials x {args.lots} lots, {receipts_per_s:.0f} receipts/s")
    copy = f"bench_inv_{tag}_b"
    engine = make_engine(base.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:  # the same stock for the broker run
        await conn.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "bench_inv_{tag}"'))
    await engine.dispose()
    direct = await reserve_direct(base, placed)
    n_orders, reserved, short = await counts(base)
    print(f"reserve (handler, 1 tx per poll of 1000): {args.orders} orders in "
          f"{args.orders / direct:.2f} s = {direct:.0f} orders/s; {reserved} MaterialReserved, "
          f"{short} MaterialShortage")  # fmt: skip
    e2e = float("nan")
    if not args.no_broker:
        broker = EmbeddedBroker().start()
        try:
            kafka = broker.kafka_settings(fetch_max_wait_ms=10)
            e2e = await reserve_over_broker(base.rsplit("/", 1)[0] + f"/{copy}", placed, kafka)
        finally:
            broker.stop()
        print(f"reserve (end to end over the embedded broker): {args.orders - 1} orders in "
              f"{e2e:.2f} s = {(args.orders - 1) / e2e:.0f} orders/s")  # fmt: skip
    rate, lot_ms, order_ms = await genealogy(base, args.genealogy_orders)
    print(f"genealogy setup: {rate:.0f} reactions/s (order + backflush)")
    print(
        f"GET /lots/G-LOT/genealogy ({args.genealogy_orders} orders): "
        f"p50 {percentile(lot_ms, 50):.1f} ms, p95 {percentile(lot_ms, 95):.1f} ms"
    )
    print(f"GET /orders/{{id}}/genealogy: p50 {percentile(order_ms, 50):.1f} ms, "
          f"p95 {percentile(order_ms, 95):.1f} ms")  # fmt: skip
    print(
        f"summary: orders={args.orders} materials={args.materials} lots={args.lots} "
        f"reserve_orders_per_s={direct:.0f} e2e_s={e2e:.2f} "
        f"genealogy_orders={args.genealogy_orders} "
        f"lot_genealogy_p50_ms={percentile(lot_ms, 50):.1f} "
        f"lot_genealogy_p95_ms={percentile(lot_ms, 95):.1f} "
        f"order_genealogy_p50_ms={percentile(order_ms, 50):.1f}"
    )
    for name in (f"bench_inv_{tag}", copy):
        await drop_database(server_url(), name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--materials", type=int, default=200)
    parser.add_argument("--lots", type=int, default=25)
    parser.add_argument("--genealogy-orders", type=int, default=10_000)
    parser.add_argument("--no-broker", action="store_true")
    import uvloop

    uvloop.run(main(parser.parse_args()))
