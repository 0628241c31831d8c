"""What "converged" means after a fault, read from the services' own databases.

- delivered: every consumer has applied every event of every stream on the topics it reads
  (its tracking row per stream is at the stream's last version in the producer's store);
- once in effect: the events a consumed event caused were appended by one transaction;
- projections: a rebuild from the store gives the same tables as live processing.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import text

from mes_events.db import make_engine
from mes_events.projection import Projection, rebuild
from mes_events.service import Subscription
from mes_events.store import EventStore
from mes_events.topics import TOPICS
from mes_events.uow import UnitOfWork

SOURCE_OF_TOPIC = {topic: f"mes/{service}" for service, topic in TOPICS.items()}
# The read models each service rebuilds from its own store.
PROJECTIONS = {
    "inventory": "mes_inventory.projections.stock:StockProjection",
    "scheduler": "mes_scheduler.projections.floor:FloorProjection",
    "quality": "mes_quality.projections.board:QualityBoard",
}
# Bookkeeping that may change without any read model changing (checkpoint times, counters).
VOLATILE = frozenset({"relay_checkpoint", "alembic_version"})

_HEADS = text("SELECT stream_id, max(stream_version) FROM stored_event GROUP BY stream_id")
_TRACKED = text(
    "SELECT stream_id, stream_version FROM consumer_stream"
    " WHERE consumer = :consumer AND source = :source"
)
_EVENT_IDS = text("SELECT event_id FROM stored_event")
_CAUSED = text(
    "SELECT causation_id, count(DISTINCT tx_id) FROM stored_event"
    " WHERE causation_id IS NOT NULL GROUP BY causation_id"
)
_TABLES = text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")


async def _rows(url: str, query: Any, params: Mapping[str, Any] | None = None) -> list[Any]:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(query, dict(params or {}))).all())
    finally:
        await engine.dispose()


def consumers(service: str, subscriptions: Sequence[Subscription]) -> list[tuple[str, list[str]]]:
    """(consumer group, topics) of a service, named as `ServiceRuntime` names them."""
    return [(f"{service}.{s.name}", list(s.topics)) for s in subscriptions]


async def undelivered(
    urls: Mapping[str, str], subscribed: Mapping[str, list[tuple[str, list[str]]]]
) -> list[str]:
    """Per consumer and stream, where the consumer stands short of the producer's store."""
    heads = {
        f"mes/{service}": {s: int(v) for s, v in await _rows(url, _HEADS)}
        for service, url in urls.items()
    }
    missing: list[str] = []
    for service, groups in subscribed.items():
        for consumer, topics in groups:
            for topic in topics:
                source = SOURCE_OF_TOPIC[topic]
                params = {"consumer": consumer, "source": source}
                tracked = {s: int(v) for s, v in await _rows(urls[service], _TRACKED, params)}
                missing += [
                    f"{consumer} has {source} {stream} at {tracked.get(stream, 0)} of {head}"
                    for stream, head in heads[source].items()
                    if tracked.get(stream, 0) != head
                ]
    return missing


async def wait_delivered(
    urls: Mapping[str, str],
    subscribed: Mapping[str, list[tuple[str, list[str]]]],
    timeout: float,
) -> list[str]:
    """Poll until every consumer caught up with every store (or the time is up); the rest."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        missing = await undelivered(urls, subscribed)
        if not missing or loop.time() > deadline:
            return missing
        await asyncio.sleep(0.5)


async def transactions_per_cause(urls: Mapping[str, str]) -> dict[str, int]:
    """For each consumed event that caused appends: how many transactions appended them."""
    ids: set[UUID] = set()
    for url in urls.values():
        ids |= {row[0] for row in await _rows(url, _EVENT_IDS)}
    return {
        f"{service}<-{cause}": int(count)
        for service, url in urls.items()
        for cause, count in await _rows(url, _CAUSED)
        if cause in ids
    }


def repeated(caused: Mapping[str, int]) -> dict[str, int]:
    """The causes whose effects were appended twice or more (a double effect)."""
    return {cause: n for cause, n in caused.items() if n > 1}


async def snapshot(url: str, tables: Sequence[str] | None = None) -> dict[str, list[Any]]:
    """Every row of `tables` (default: every table but bookkeeping), in a stable order."""
    names = tables or [t for (t,) in await _rows(url, _TABLES) if t not in VOLATILE]
    return {
        name: sorted(map(tuple, await _rows(url, text(f'SELECT * FROM "{name}"'))), key=repr)
        for name in names
    }


def _projection(target: str) -> Projection:
    module, _, attr = target.partition(":")
    projection: Projection = getattr(importlib.import_module(module), attr)()
    return projection


async def rebuilt_differently(urls: Mapping[str, str]) -> list[str]:
    """The projection tables that a rebuild from the store changes (run with services stopped)."""
    changed: list[str] = []
    rows = 0
    for service, target in PROJECTIONS.items():
        projection = _projection(target)
        tables = [t.name for t in projection.tables]
        live = await snapshot(urls[service], tables)
        engine = make_engine(urls[service], pool_size=2)
        uow = UnitOfWork(engine, size=1)
        try:
            await rebuild(uow, EventStore(f"mes/{service}"), projection)
        finally:
            await uow.close()
            await engine.dispose()
        again = await snapshot(urls[service], tables)
        changed += [f"{service}.{t}" for t in tables if live[t] != again[t]]
        rows += sum(map(len, live.values()))
    assert rows, "every projection is empty: the run did nothing"
    return changed
