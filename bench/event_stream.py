"""Event streams: latency from commit to every SSE client, with many clients and one slow one.

`uv run python bench/event_stream.py [--clients 20] [--events 2000] [--rate 500]`

A service app (API role) runs under uvicorn on loopback; `--clients` readers follow
`/events/stream` while a writer appends single-event transactions at `--rate` per second. The
latency of an event is its receipt time at a client minus the start of its commit. One more client
connects and never reads, to show that it does not slow the others.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import time
import uuid

import httpx

from mes_events.db import create_database, drop_database
from mes_events.service import Role, ServiceRuntime, build_app
from mes_events.settings import ServiceSettings
from mes_events.sse import STREAM_PATH
from mes_events.testing.events import Counted, meta
from mes_events.testing.plugin import DEFAULT_SERVER, STORE_MIGRATIONS
from mes_events.testing.sse_client import read_messages, serving

os.environ.setdefault("AUTH__ENABLED", "false")  # a benchmark of streaming, not of tokens


async def reader(url: str, n: int, committed: dict[int, float], out: list[float]) -> None:
    async with (
        httpx.AsyncClient(base_url=url, timeout=60) as client,
        client.stream("GET", STREAM_PATH) as stream,
    ):
        got = 0
        async for m in read_messages(stream):
            if m.data is None:
                continue
            data = m.json()["data"]
            assert isinstance(data, dict)
            out.append(time.perf_counter() - committed[int(data["n"])])
            got += 1
            if got == n:
                return


async def stalled(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, int(port)))
    await loop.sock_sendall(sock, f"GET {STREAM_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


async def main(clients: int, events: int, rate: float) -> None:
    server = os.environ.get("MES_TEST_DATABASE_URL", DEFAULT_SERVER)
    name = f"bench_stream_{uuid.uuid4().hex[:8]}"
    url = await create_database(server, name)
    settings = ServiceSettings(service="bench", database_url=url)
    runtime = ServiceRuntime(settings, STORE_MIGRATIONS, roles=frozenset({Role.API}))
    app = build_app(runtime, title="bench")
    committed: dict[int, float] = {}
    latencies: list[float] = []
    try:
        async with serving(app) as base:
            slow = await stalled(base)
            tasks = [
                asyncio.create_task(reader(base, events, committed, latencies))
                for _ in range(clients)
            ]
            await asyncio.sleep(1.0)  # every reader connected
            start = time.perf_counter()
            for i in range(events):
                async with runtime.uow.transaction() as conn:
                    await runtime.store.append(conn, f"s-{i}", 0, [Counted(n=i)], meta())
                    # Stamped as the commit starts: a reader can see the event before the
                    # writer resumes after the commit.
                    committed[i] = time.perf_counter()
                await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.perf_counter()))
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
            elapsed = time.perf_counter() - start
            slow.close()
    finally:
        await drop_database(server, name)
    ms = sorted(x * 1000 for x in latencies)
    p50, p99 = statistics.median(ms), ms[int(len(ms) * 0.99) - 1]
    print(
        f"{clients} clients x {events} events at {events / elapsed:.0f}/s: "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ms[-1]:.1f} ms (one stalled client)"
    )
    print(
        f"summary: clients={clients} events={events} rate={events / elapsed:.0f} "
        f"p50_ms={p50:.1f} p99_ms={p99:.1f} max_ms={ms[-1]:.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.clients, args.events, args.rate))
