"""Append rate of the event store vs plain asyncpg inserting the same rows, on PostgreSQL.

Modes: single-event transactions with 10 concurrent writers, and batches of 100 events per
transaction (10 writers). Prints events/s for both and the ratio; the last line is a summary.
Usage: uv run python bench/event_store.py [--events 20000] [--writers 10]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime

import asyncpg
import orjson

from mes_events.db import asyncpg_dsn, make_engine
from mes_events.store import EventStore, Metadata
from mes_events.testing.benchdb import store_database
from mes_events.testing.events import Counted
from mes_events.uow import UnitOfWork

RAW_TABLE = """
CREATE TABLE raw_event (LIKE stored_event INCLUDING DEFAULTS INCLUDING CONSTRAINTS
                        INCLUDING INDEXES INCLUDING IDENTITY)
"""
RAW_INSERT = """
INSERT INTO raw_event (event_id, stream_type, stream_id, stream_version, event_type,
                       schema_version, data, occurred_at, correlation_id, causation_id)
VALUES ($1, 'counter', $2, $3, 'test.Counted', 1, $4::jsonb, $5, $6, NULL)
"""


def meta() -> Metadata:
    return Metadata(occurred_at=datetime.now(UTC), correlation_id=uuid.uuid4())


async def store_rate(url: str, writers: int, events: int, batch: int) -> float:
    store, engine = EventStore("mes/bench"), make_engine(url, pool_size=writers)
    uow = UnitOfWork(engine)
    per_writer = events // writers // batch

    async def writer() -> None:
        stream = f"bench-{uuid.uuid4()}"
        for i in range(per_writer):
            async with uow.transaction() as conn:
                await store.append(
                    conn, stream, i * batch, [Counted(n=j) for j in range(batch)], meta()
                )

    async with engine.connect():  # warm the pool's first connection
        pass
    start = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    elapsed = time.perf_counter() - start
    await uow.close()
    await engine.dispose()
    return per_writer * batch * writers / elapsed


async def raw_rate(url: str, writers: int, events: int, batch: int) -> float:
    dsn = asyncpg_dsn(url)
    conns = [await asyncpg.connect(dsn) for _ in range(writers)]
    per_writer = events // writers // batch
    data = orjson.dumps({"n": 1}).decode()

    async def writer(conn: asyncpg.Connection) -> None:
        stream = f"raw-{uuid.uuid4()}"
        for i in range(per_writer):
            now, corr = datetime.now(UTC), uuid.uuid4()
            rows = [
                (uuid.uuid4(), stream, i * batch + j + 1, data, now, corr) for j in range(batch)
            ]
            async with conn.transaction():
                if batch == 1:
                    await conn.execute(RAW_INSERT, *rows[0])
                else:
                    await conn.executemany(RAW_INSERT, rows)

    start = time.perf_counter()
    await asyncio.gather(*(writer(c) for c in conns))
    elapsed = time.perf_counter() - start
    for c in conns:
        await c.close()
    return per_writer * batch * writers / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--writers", type=int, default=10)
    args = parser.parse_args()
    async with store_database("bench_store") as url:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        await conn.execute(RAW_TABLE)
        await conn.close()
        results: dict[str, float] = {}
        for label, batch, n in (("single", 1, args.events), ("batch100", 100, args.events * 5)):
            # alternate raw and store twice and keep the best of each, to damp noise on 2 cores
            raws, stores = [], []
            for _ in range(2):
                raws.append(await raw_rate(url, args.writers, n, batch))
                stores.append(await store_rate(url, args.writers, n, batch))
            raw, ours = max(raws), max(stores)
            results[f"{label}_raw"], results[f"{label}_store"] = raw, ours
            print(
                f"{label:9s} writers={args.writers} events={n}: asyncpg {raw:8.0f} ev/s, "
                f"store {ours:8.0f} ev/s = {ours / raw:6.1%} of raw"
            )
    print(
        "summary: "
        + " ".join(f"{k}_eps={v:.0f}" for k, v in results.items())
        + f" single_ratio={results['single_store'] / results['single_raw']:.2f}"
        + f" batch_ratio={results['batch100_store'] / results['batch100_raw']:.2f}"
    )


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
