"""Relay throughput and end-to-end latency: append -> relay -> broker -> consumer process.

Prints, from the same run: the broker alone (producer -> consumer process, 1,000 msg/s, linger
5 ms, fetch wait 10 ms), the relay's throughput on a backlog, and the latency from append to
the handler of a consumer running in another process, at a steady rate, per 10-second window.
The last line is a summary. Usage:
  uv run python bench/pipeline.py [--seconds 60] [--rate 1000] [--backlog 50000]
It starts its own embedded broker unless --bootstrap is given.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events import heap
from mes_events.consumer import ConsumerRunner
from mes_events.db import make_engine
from mes_events.embedded import TOPIC_PARTITIONS, EmbeddedBroker
from mes_events.envelope import EventEnvelope
from mes_events.relay import Relay
from mes_events.settings import KafkaSettings
from mes_events.store import EventStore, Metadata
from mes_events.testing.benchdb import (
    machine_ticks,
    percentile,
    process_cpu_s,
    steal_pct,
    store_database,
)
from mes_events.testing.events import Counted
from mes_events.uow import UnitOfWork

WINDOW_S = 10


def stats(latencies_ms: list[float]) -> str:
    xs = sorted(latencies_ms)
    return (
        f"n={len(xs)} p50={percentile(xs, 50):.1f} p95={percentile(xs, 95):.1f} "
        f"p99={percentile(xs, 99):.1f} max={xs[-1] if xs else float('nan'):.1f} ms"
    )


def spawn(role: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, "--role", role, *args],
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.strip() != "ready":
        raise RuntimeError(f"child did not get ready: {line!r}")


# --- broker alone ---------------------------------------------------------------------------


async def broker_consumer_role(bootstrap: str, topic: str, expected: int) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"g-{topic}",
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    await consumer.start()
    while not consumer.assignment():
        await consumer.getmany(timeout_ms=100)
    print("ready", flush=True)
    latencies: list[tuple[float, float]] = []
    while len(latencies) < expected:
        for records in (await consumer.getmany(timeout_ms=500)).values():
            now = time.time()
            for r in records:
                sent = float(r.value or b"0")
                latencies.append((sent, (now - sent) * 1000))
    await consumer.stop()
    print(json.dumps(latencies), flush=True)


async def broker_alone(bootstrap: str, rate: int, seconds: int) -> list[tuple[float, float]]:
    topic, n = f"bench.raw.{uuid.uuid4().hex[:6]}", rate * seconds
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
    await producer.start()
    await producer.send_and_wait(topic, b"0", key=b"warm")
    child = spawn("broker-consumer", bootstrap, topic, str(n + 1))
    wait_ready(child)
    start = time.perf_counter()
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await producer.send(topic, str(time.time()).encode(), key=f"k{i % 100}".encode())
    await producer.flush()
    await producer.stop()
    out, _ = child.communicate(timeout=120)
    return [tuple(x) for x in json.loads(out.strip().splitlines()[-1]) if x[0] > 1]


# --- store -> relay -> consumer -------------------------------------------------------------


def pipeline_consumer_role(
    url: str, bootstrap: str, topic: str, partitions: int, fetch_wait_ms: int
) -> None:
    async def run() -> None:
        engine = make_engine(url, pool_size=4)
        settings = KafkaSettings(
            bootstrap_servers=bootstrap, fetch_max_wait_ms=fetch_wait_ms, partitions=partitions
        )

        async def handle(conn: AsyncConnection, env: EventEnvelope) -> None:
            latency = (time.time() - env.occurred_at.timestamp()) * 1000
            await conn.execute(
                text("INSERT INTO bench_latency (occurred, ms) VALUES (:o, :ms)"),
                {"o": env.occurred_at.timestamp(), "ms": latency},
            )

        uow = UnitOfWork(engine, size=2)
        runner = ConsumerRunner(f"bench-{topic}", [topic], handle, uow, settings)
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run(stop))
        await runner.assigned.wait()
        heap.settle()  # as a service does once started (build_app's lifespan)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        stop.set()
        await task
        await uow.close()
        await engine.dispose()

    run_loop(run())


async def write_steady(uow: UnitOfWork, store: EventStore, rate: int, seconds: int) -> None:
    writers, streams = 10, [f"bench-{uuid.uuid4().hex[:8]}" for _ in range(100)]
    versions = dict.fromkeys(streams, 0)

    async def writer(w: int) -> None:
        start, i = time.perf_counter(), 0
        while i * writers < rate * seconds:
            delay = start + i * writers / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            stream = streams[(i * writers + w) % len(streams)]
            meta = Metadata(occurred_at=datetime.now(UTC), correlation_id=uuid.uuid4())
            async with uow.transaction() as conn:
                await store.append(conn, stream, versions[stream], [Counted(n=i)], meta)
            versions[stream] += 1
            i += 1

    await asyncio.gather(*(writer(w) for w in range(writers)))


async def relay_throughput(url: str, settings: KafkaSettings, backlog: int) -> float:
    store, engine = EventStore("mes/bench"), make_engine(url, pool_size=4)
    uow = UnitOfWork(engine)
    for b in range(backlog // 100):
        meta = Metadata(occurred_at=datetime.now(UTC), correlation_id=uuid.uuid4())
        async with uow.transaction() as conn:
            await store.append(conn, f"backlog-{b}", 0, [Counted(n=i) for i in range(100)], meta)
    topic = f"bench.relay.{uuid.uuid4().hex[:6]}"
    relay = Relay(f"relay-{topic}", topic, store, engine, settings)
    stop = asyncio.Event()
    start = time.perf_counter()
    task = asyncio.create_task(relay.run(stop))
    while True:
        async with engine.connect() as conn:
            done = (
                await conn.execute(
                    text(
                        "SELECT coalesce(sum(published), 0) FROM relay_checkpoint WHERE relay = :r"
                    ),
                    {"r": relay.name},
                )
            ).scalar_one()
        if done >= backlog:
            break
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - start
    stop.set()
    await task
    await uow.close()
    await engine.dispose()
    return backlog / elapsed


async def end_to_end(
    url: str, settings: KafkaSettings, rate: int, seconds: int
) -> list[tuple[float, float]]:
    store, engine = EventStore("mes/bench"), make_engine(url, pool_size=12)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE bench_latency (occurred float8, ms float8)"))
    topic = f"bench.e2e.{uuid.uuid4().hex[:6]}"
    uow = UnitOfWork(engine)
    async with uow.transaction() as conn:  # the topic exists before the consumer subscribes
        await store.append(
            conn,
            "warm",
            0,
            [Counted(n=0)],
            Metadata(occurred_at=datetime.now(UTC), correlation_id=uuid.uuid4()),
        )
    relay = Relay(f"relay-{topic}", topic, store, engine, settings)
    stop = asyncio.Event()
    relay_task = asyncio.create_task(relay.run(stop))
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--role",
            "pipeline-consumer",
            url,
            settings.bootstrap_servers,
            topic,
            str(settings.partitions),
            str(settings.fetch_max_wait_ms),
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    wait_ready(child)
    heap.settle()  # the relay runs in a service process, whose lifespan does this
    await write_steady(uow, store, rate, seconds)
    expected = rate * seconds
    deadline = time.monotonic() + 60
    rows: list[tuple[float, float]] = []
    while time.monotonic() < deadline:
        async with engine.connect() as conn:
            rows = [
                tuple(r)
                for r in await conn.execute(
                    text(
                        "SELECT occurred, ms FROM bench_latency"
                        " WHERE occurred > 0 ORDER BY occurred"
                    )
                )
            ]
        if len(rows) >= expected:
            break
        await asyncio.sleep(0.5)
    child.communicate("", timeout=60)
    stop.set()
    await relay_task
    await uow.close()
    await engine.dispose()
    return [r for r in rows if r[1] < 1e9][-expected:]


def broker_cpu_s(broker: EmbeddedBroker | None) -> float:
    """CPU seconds the embedded broker has used so far (nan for an external one)."""
    return process_cpu_s(broker.pid)[1] if broker and broker.pid else float("nan")


def windows(samples: list[tuple[float, float]]) -> list[list[float]]:
    if not samples:
        return []
    t0, out = samples[0][0], list[list[float]]()
    for t, ms in samples:
        k = int((t - t0) // WINDOW_S)
        while len(out) <= k:
            out.append([])
        out[k].append(ms)
    return out


async def main(args: argparse.Namespace) -> None:
    broker = None
    if args.bootstrap is None:
        broker = EmbeddedBroker().start()
        args.bootstrap = broker.bootstrap_servers
    if args.partitions is None:
        args.partitions = TOPIC_PARTITIONS if broker else KafkaSettings().partitions
    try:
        settings = KafkaSettings(
            bootstrap_servers=args.bootstrap,
            fetch_max_wait_ms=args.fetch_wait_ms,
            partitions=args.partitions,
            linger_ms=args.linger_ms,
        )
        start, cpu = machine_ticks(), broker_cpu_s(broker)
        raw = (
            []
            if args.skip_broker_alone
            else await broker_alone(args.bootstrap, args.rate, min(args.seconds, 60))
        )
        raw_ms = [ms for _, ms in raw]
        broker_steal, raw_cpu = steal_pct(start, machine_ticks()), broker_cpu_s(broker) - cpu
        if raw:
            print(
                f"broker alone     {args.rate} msg/s, linger 5 ms, fetch wait 10 ms: "
                f"{stats(raw_ms)}"
            )
            print(f"  broker CPU {raw_cpu:.1f} s")
            print(f"  CPU time stolen by other tenants of the machine: {broker_steal:.0f} %")
            # Tansu's memory store gets slower as its log grows: the windows show the broker's
            # own trend, against which the end-to-end windows below are to be read.
            for i, window in enumerate(windows(sorted(raw))):
                print(f"  window {i * WINDOW_S:4d}-{(i + 1) * WINDOW_S:4d} s: {stats(window)}")
        async with store_database("bench_relay") as url:
            relay_eps = await relay_throughput(url, settings, args.backlog)
        print(f"relay throughput backlog of {args.backlog} events: {relay_eps:.0f} events/s")
        async with store_database("bench_e2e") as url:
            start, cpu = machine_ticks(), broker_cpu_s(broker)
            samples = await end_to_end(url, settings, args.rate, args.seconds)
            e2e_steal, e2e_cpu = steal_pct(start, machine_ticks()), broker_cpu_s(broker) - cpu
        e2e = [ms for _, ms in samples]
        print(
            f"end to end       {args.rate} events/s for {args.seconds} s (relay linger "
            f"{args.linger_ms} ms, consumer fetch wait {args.fetch_wait_ms} ms): {stats(e2e)}"
        )
        print(f"  broker CPU {e2e_cpu:.1f} s")
        print(f"  CPU time stolen by other tenants of the machine: {e2e_steal:.0f} %")
        for i, window in enumerate(windows(samples)):
            print(f"  window {i * WINDOW_S:4d}-{(i + 1) * WINDOW_S:4d} s: {stats(window)}")
        xs, rs = sorted(e2e), sorted(raw_ms)
        last = sorted(windows(samples)[-1]) if samples else []
        print(
            f"summary: rate={args.rate} seconds={args.seconds} partitions={args.partitions} "
            f"linger_ms={args.linger_ms} fetch_wait_ms={args.fetch_wait_ms} delivered={len(xs)} "
            f"e2e_p50_ms={percentile(xs, 50):.1f} e2e_p95_ms={percentile(xs, 95):.1f} "
            f"e2e_p99_ms={percentile(xs, 99):.1f} "
            f"e2e_last_window_p99_ms={percentile(last, 99):.1f} "
            f"broker_p99_ms={percentile(rs, 99):.1f} relay_eps={relay_eps:.0f} "
            f"broker_steal_pct={broker_steal:.0f} e2e_steal_pct={e2e_steal:.0f} "
            f"broker_cpu_alone_s={raw_cpu:.1f} broker_cpu_e2e_s={e2e_cpu:.1f}"
        )
    finally:
        if broker is not None:
            broker.stop()


def run_loop(coro: object) -> None:
    import uvloop

    uvloop.run(coro)  # type: ignore[arg-type]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--backlog", type=int, default=50_000)
    parser.add_argument("--bootstrap")
    parser.add_argument("--partitions", type=int, help="default: the embedded broker's")
    parser.add_argument("--linger-ms", type=int, default=KafkaSettings().linger_ms)
    parser.add_argument(
        "--fetch-wait-ms", type=int, default=KafkaSettings().fetch_max_wait_ms, help="consumer's"
    )
    parser.add_argument("--skip-broker-alone", action="store_true")
    parser.add_argument("--role", default="main")
    known, rest = parser.parse_known_args()
    if known.role == "broker-consumer":
        run_loop(broker_consumer_role(rest[0], rest[1], int(rest[2])))
    elif known.role == "pipeline-consumer":
        pipeline_consumer_role(rest[0], rest[1], rest[2], int(rest[3]), int(rest[4]))
    else:
        run_loop(main(known))
