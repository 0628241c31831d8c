"""Duplicate and reordered delivery: every topic replayed from its beginning into every consumer
leaves every database as it was.

After a short simulated run has settled, the services stop; each consumer group's offsets are
reset to 0 and each relay is rewound to the first store position (`mes-events republish`).
On restart every topic holds every event twice, the second copy behind newer events, and
every consumer reads both copies from the start. Compared before and after: every table of
every service (read models, stores, tracking, dead letters) except the relays' checkpoints.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from prometheus_client import REGISTRY
from sqlalchemy import text

from mes_events.db import make_engine
from mes_events.embedded import EmbeddedBroker
from mes_events.kafka import broker_identity
from mes_events.relay import rewind
from mes_events.settings import KafkaSettings
from mes_events.topics import TOPICS
from mes_simulator.rest.driver import play
from mes_simulator.rest.tokens import Tokens
from mes_simulator.testing import SMALL
from mes_simulator.warp import WarpedClock, default_epoch

from .checks import consumers, snapshot, wait_delivered
from .system import databases, services

pytestmark = pytest.mark.integration

SCENARIO = replace(SMALL, days=0.15)
SPEED = 1800.0

_STORED = text("SELECT count(*) FROM stored_event")


async def _stored(url: str) -> int:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(_STORED)).scalar_one())
    finally:
        await engine.dispose()


def _outcomes(consumer: str) -> dict[str, float]:
    """How many records the consumer handled so far, by outcome (its metrics, this process)."""
    return {
        outcome: REGISTRY.get_sample_value(
            "mes_consumer_messages_total", {"consumer": consumer, "outcome": outcome}
        )
        or 0.0
        for outcome in ("applied", "duplicate", "gap", "dead_letter")
    }


def _since(consumer: str, before: Mapping[str, float]) -> dict[str, float]:
    return {k: v - before[k] for k, v in _outcomes(consumer).items()}


async def reset_offsets(kafka: KafkaSettings, group: str, topics: list[str]) -> None:
    """What `kafka-consumer-groups --reset-offsets --to-earliest` does for a stopped group,
    done as a member of it (the embedded broker refuses commits from outside the group)."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        session_timeout_ms=kafka.session_timeout_ms,
        heartbeat_interval_ms=kafka.heartbeat_interval_ms,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(60):
            while not consumer.assignment():
                await consumer.getmany(timeout_ms=200, max_records=1)
        parts = consumer.assignment()
        await consumer.commit(dict.fromkeys(parts, 0))
        assert {await consumer.committed(tp) for tp in parts} == {0}
        assert {tp.topic for tp in parts} == set(topics)
    finally:
        await consumer.stop()


async def test_every_topic_replayed_into_every_consumer_changes_nothing(
    pg_server_url: str, broker: EmbeddedBroker | str, kafka_settings: KafkaSettings
) -> None:
    key = secrets.token_hex(32)
    clock = WarpedClock(default_epoch(shifts=False), SPEED, time.time())
    async with databases(pg_server_url, "t_rel_replay") as urls:
        async with services(urls, kafka_settings, clock, signing_key=key) as running:
            subscribed = {n: consumers(n, r.runtime.subscriptions) for n, r in running.items()}
            clients = {name: r.client for name, r in running.items()}
            report = await play(
                SCENARIO, clients, clock, asyncio.Event(), drain_hours=2.0, tokens=Tokens(key=key)
            )
            assert report is not None and report.posted > 0
            assert await wait_delivered(urls, subscribed, timeout=60) == []
        before = {name: await snapshot(url) for name, url in urls.items()}
        stored = {TOPICS[name]: await _stored(url) for name, url in urls.items()}

        broker_id = await _cluster_id(broker, kafka_settings)
        for name, url in urls.items():
            engine = make_engine(url, pool_size=1)
            try:
                await rewind(engine, name, broker_id, from_position=1)
            finally:
                await engine.dispose()
        groups = [group for groups in subscribed.values() for group in groups]
        await asyncio.gather(*(reset_offsets(kafka_settings, g, topics) for g, topics in groups))
        # Each consumer reads every event of its topics twice: the first copy, then the
        # relay's second one, which comes behind newer events.
        expected = {group: 2 * sum(stored[t] for t in topics) for group, topics in groups}
        counted = {group: _outcomes(group) for group, _ in groups}
        # The plant clock stands still from here: nothing may change because time passed.
        frozen = WarpedClock(clock(), 0.0, time.time())
        async with services(urls, kafka_settings, frozen, signing_key=key):
            deadline = asyncio.get_running_loop().time() + 90
            while any(sum(_since(g, counted[g]).values()) < n for g, n in expected.items()):
                behind = {g: (_since(g, counted[g]), n) for g, n in expected.items()}
                assert asyncio.get_running_loop().time() < deadline, behind
                await asyncio.sleep(0.5)
        for group, _ in groups:  # every record was recognised as seen before
            handled = _since(group, counted[group])
            assert handled["duplicate"] >= expected[group], (group, handled)
            assert handled["applied"] == handled["dead_letter"] == 0, (group, handled)
        after = {name: await snapshot(url) for name, url in urls.items()}
        assert _differences(before, after) == []


async def _cluster_id(broker: EmbeddedBroker | str, kafka: KafkaSettings) -> str:
    if isinstance(broker, EmbeddedBroker):
        return broker.cluster_id
    return await broker_identity(kafka)


Snapshot = Mapping[str, Mapping[str, list[Any]]]


def _differences(before: Snapshot, after: Snapshot) -> list[str]:
    """The tables that changed, with the rows that differ (a few of them)."""
    out = []
    for service, tables in before.items():
        for table, rows in tables.items():
            now = after[service].get(table, [])
            if now != rows:
                gone = [r for r in rows if r not in now][:3]
                new = [r for r in now if r not in rows][:3]
                out.append(f"{service}.{table}: gone {gone}, new {new}")
    return out
