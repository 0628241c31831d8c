"""The services in this process on one warped clock, each behind an ASGI client.

Used by the end-to-end test: every service that exists in the workspace runs with all its
roles (API, relay, consumers, projections) on its own new database, and they talk to
each other through the broker exactly as in `make up`.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from mes_events.consumer import dlq_topic
from mes_events.db import create_database, drop_database
from mes_events.service import ALL_ROLES
from mes_events.settings import KafkaSettings
from mes_events.topics import TOPICS
from mes_simulator.warp import WarpedClock

MODULES = {
    "orders": "mes_orders",
    "inventory": "mes_inventory",
    "scheduler": "mes_scheduler",
    "quality": "mes_quality",
}


def _app_factory(module: str) -> tuple[Any, Any] | None:
    try:
        app = importlib.import_module(f"{module}.entrypoints.api.app")
        config = importlib.import_module(f"{module}.config")
    except ModuleNotFoundError:
        return None
    return app.create_app, config.Settings


@asynccontextmanager
async def services(
    server_url: str, kafka: KafkaSettings, clock: WarpedClock, *, signing_key: str
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """A client per running service (by name), all checking tokens signed with `signing_key`;
    databases are dropped afterwards."""
    async with AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}
        for name, module in MODULES.items():
            factory = _app_factory(module)
            if factory is None:
                continue
            create_app, settings = factory
            database = f"t_sim_{name}_{uuid.uuid4().hex[:8]}"
            url = await create_database(server_url, database)
            stack.push_async_callback(drop_database, server_url, database)
            auth = {"signing_key": signing_key}
            config = settings(database_url=url, kafka=kafka, auth=auth)
            app = create_app(ALL_ROLES, settings=config, clock=clock)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(transport=transport, base_url=f"http://{name}", timeout=30)
            clients[name] = await stack.enter_async_context(client)
        yield clients


async def dead_letters(kafka: KafkaSettings) -> dict[str, int]:
    """Messages in each service topic's dead-letter topic (absent topics count as 0)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers)
    await consumer.start()
    try:
        counts: dict[str, int] = {}
        existing = await consumer.topics()  # also loads the metadata partitions_for_topic reads
        for topic in TOPICS.values():
            dlq = dlq_topic(topic)
            partitions = (consumer.partitions_for_topic(dlq) or set()) if dlq in existing else set()
            parts = [TopicPartition(dlq, p) for p in sorted(partitions)]
            ends = await consumer.end_offsets(parts) if parts else {}
            starts = await consumer.beginning_offsets(parts) if parts else {}
            counts[dlq] = sum(ends[p] - starts[p] for p in parts)
        return counts
    finally:
        await consumer.stop()
