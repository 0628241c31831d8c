"""Broker loss in the middle of a simulated run: an empty broker takes its place, and the
system converges — every event delivered, projections equal to a rebuild, no double effect.

The four services run in this process (API, relay, consumers, projections each) while the
REST driver plays a short seeded scenario. Once events flow, the broker is stopped and a
fresh, empty one (a new cluster id) starts on the same port: whatever the old one held —
published events not yet consumed, consumer groups, committed offsets — is gone. Relays and
consumers keep running; nothing is restarted by the test.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest
from sqlalchemy import TextClause, text

from mes_events.db import make_engine
from mes_events.embedded import EmbeddedBroker
from mes_events.settings import KafkaSettings
from mes_simulator.rest.driver import play
from mes_simulator.rest.tokens import Tokens
from mes_simulator.testing import SMALL
from mes_simulator.warp import WarpedClock, default_epoch

from .checks import (
    consumers,
    rebuilt_differently,
    repeated,
    transactions_per_cause,
    wait_delivered,
)
from .system import databases, services

pytestmark = pytest.mark.integration

# A fifth of a day of arrivals, plant time 1,800 x real time: about 10 s of driving.
SCENARIO = replace(SMALL, days=0.2)
SPEED = 1800.0

_PUBLISHED = text("SELECT coalesce(sum(published), 0) FROM relay_checkpoint WHERE broker_id = :b")
_STORED = text("SELECT count(*) FROM stored_event")
_CONSUMED = text("SELECT count(*) FROM consumer_stream WHERE source = 'mes/orders'")


async def _count(url: str, query: TextClause, **params: str) -> int:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(query, params)).scalar_one())
    finally:
        await engine.dispose()


async def until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


async def test_an_empty_broker_mid_run_loses_nothing_and_doubles_nothing(
    pg_server_url: str, broker: EmbeddedBroker | str, kafka_settings: KafkaSettings
) -> None:
    if not isinstance(broker, EmbeddedBroker):
        pytest.skip("needs the embedded broker to replace it")
    clock = WarpedClock(default_epoch(shifts=False), SPEED, time.time())
    key = secrets.token_hex(32)
    async with databases(pg_server_url, "t_rel_loss") as urls:
        async with services(urls, kafka_settings, clock, signing_key=key) as running:
            clients = {name: r.client for name, r in running.items()}
            subscribed = {n: consumers(n, r.runtime.subscriptions) for n, r in running.items()}
            stop, tokens = asyncio.Event(), Tokens(key=key)
            driving = asyncio.create_task(
                play(SCENARIO, clients, clock, stop, drain_hours=3.0, tokens=tokens)
            )

            async def orders_consumed() -> bool:
                return await _count(urls["inventory"], _CONSUMED) >= 3

            await until(orders_consumed, 60, "inventory to consume the first orders")
            lost = broker.cluster_id
            await asyncio.to_thread(broker.restart_empty)
            report = await driving
            assert report is not None and report.posted > 0
            missing = await wait_delivered(urls, subscribed, timeout=60)
            assert missing == [], missing[:20]
        assert await _count(urls["orders"], _PUBLISHED, b=lost) > 0, "the lost broker held events"
        for name, url in urls.items():  # each relay noticed and republished its whole store
            stored = await _count(url, _STORED)
            assert await _count(url, _PUBLISHED, b=broker.cluster_id) >= stored, name
        caused = await transactions_per_cause(urls)
        assert caused and repeated(caused) == {}
        assert await rebuilt_differently(urls) == []
