"""A service killed mid-handling loses nothing and does nothing twice once restarted.

The inventory service runs as a real process (`python -m mes_inventory`) armed with
`MES_CRASH_AT=consumer.after_db_commit` (mes_events.crashpoint): the first consumer batch
that applies events commits its database transaction — reservations appended, orders tracked
— and the process SIGKILLs itself before the Kafka offset commit and before its relay
publishes the reservations. The orders service runs in this process and keeps going.
The test checks the crash happened exactly there, restarts inventory unarmed, and checks:
the orders come again and are recognised (no second reservation), the reservations reach
the orders service (the relay resumes from its checkpoint), and every consumer caught up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import TextClause, text

from mes_events.crashpoint import VARIABLE as CRASH_AT
from mes_events.db import make_engine
from mes_events.embedded import EmbeddedBroker, free_port
from mes_events.settings import KafkaSettings
from mes_events.topics import INVENTORY, ORDERS
from mes_simulator.rest import bodies
from mes_simulator.rest.api import ERP, Api
from mes_simulator.rest.tokens import Tokens
from mes_simulator.scenario import generate
from mes_simulator.testing import SMALL
from mes_simulator.warp import WarpedClock, default_epoch

from .checks import repeated, transactions_per_cause, wait_delivered
from .system import databases, services

pytestmark = pytest.mark.integration

SCENARIO = generate(replace(SMALL, days=0.1))
SUBSCRIBED = {
    "inventory": [("inventory.reactions", [ORDERS])],
    "orders": [("orders.progress", [INVENTORY])],
}
_EFFECTS = text(
    "SELECT event_id, causation_id FROM stored_event"
    " WHERE event_type = 'inventory.MaterialReserved'"
)
_TRACKED_ORDERS = text("SELECT count(*) FROM consumer_stream WHERE source = 'mes/orders'")
_ORDER_EVENTS = text("SELECT event_id FROM stored_event")
_RESERVED = text(
    "SELECT data->>'order_id', data->>'material_id', sum((data->>'quantity')::numeric)"
    " FROM stored_event WHERE event_type = 'inventory.MaterialReserved' GROUP BY 1, 2"
)
_ORDER_MATERIAL = text(
    "SELECT order_id, material_id, reserved_quantity FROM order_material_v1"
    " WHERE reserved_quantity > 0"
)


class InventoryProcess:
    """`python -m mes_inventory` with all its roles, on its own port and database."""

    def __init__(self, url: str, kafka: KafkaSettings, key: str, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.env = {
            **os.environ,
            "INVENTORY_DATABASE_URL": url,
            "INVENTORY_HTTP_PORT": str(self.port),
            "INVENTORY_AUTH__SIGNING_KEY": key,
            "INVENTORY_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "INVENTORY_KAFKA__SESSION_TIMEOUT_MS": str(kafka.session_timeout_ms),
            "INVENTORY_KAFKA__HEARTBEAT_INTERVAL_MS": str(kafka.heartbeat_interval_ms),
            "INVENTORY_KAFKA__PARTITIONS": str(kafka.partitions),
        }
        self.process: subprocess.Popen[bytes] | None = None

    @contextlib.contextmanager
    def running(self, *, crash_at: str | None = None) -> Iterator[subprocess.Popen[bytes]]:
        env = dict(self.env)
        env.pop(CRASH_AT, None)
        if crash_at:
            env[CRASH_AT] = crash_at
        with open(self.log, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "mes_inventory"], env=env, stdout=log, stderr=log
            )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    @contextlib.asynccontextmanager
    async def client(self) -> AsyncIterator[httpx.AsyncClient]:
        base = f"http://127.0.0.1:{self.port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            yield client


async def _rows(url: str, query: TextClause) -> list[Any]:
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(query)).all())
    finally:
        await engine.dispose()


async def published_ids(kafka: KafkaSettings, topic: str) -> set[UUID]:
    """The event ids (ce_id headers) on `topic`, read from the start until it stays quiet."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer.topics()
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ids: set[UUID] = set()
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 1.5:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                quiet_since = time.monotonic()
                ids |= {UUID(dict(r.headers)["ce_id"].decode()) for r in records}
        return ids
    finally:
        await consumer.stop()


async def committed_offsets(kafka: KafkaSettings, group: str, topic: str) -> dict[int, int]:
    """The group's committed offsets on `topic`, asked without joining the group."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        await consumer.topics()
        committed = {
            p: await consumer.committed(TopicPartition(topic, p))
            for p in consumer.partitions_for_topic(topic) or ()
        }
        return {p: offset for p, offset in committed.items() if offset is not None}
    finally:
        await consumer.stop()


async def outcomes(client: httpx.AsyncClient, consumer: str) -> dict[str, float]:
    """Records the consumer handled, by outcome, from the process's /metrics."""
    families = text_string_to_metric_families((await client.get("/metrics")).text)
    return {
        s.labels["outcome"]: s.value
        for f in families
        if f.name == "mes_consumer_messages"
        for s in f.samples
        if s.labels.get("consumer") == consumer and s.name.endswith("_total")
    }


async def wait_exit(process: subprocess.Popen[bytes], timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        assert time.monotonic() < deadline, "the armed process never reached its crash point"
        await asyncio.sleep(0.1)
    return process.returncode


async def test_inventory_killed_between_database_and_offset_commit_loses_and_doubles_nothing(
    pg_server_url: str,
    broker: EmbeddedBroker | str,
    kafka_settings: KafkaSettings,
    tmp_path: Path,
) -> None:
    key, run_id = secrets.token_hex(32), secrets.token_hex(4)
    tokens = Tokens(key=key)
    clock = WarpedClock(default_epoch(shifts=False), 1.0, time.time())
    async with databases(pg_server_url, "t_rel_crash", ("orders", "inventory")) as urls:
        inventory = InventoryProcess(urls["inventory"], kafka_settings, key, tmp_path / "inv.log")
        async with (
            services({"orders": urls["orders"]}, kafka_settings, clock, signing_key=key) as svc,
            inventory.client() as inv_client,
        ):
            api = Api({"orders": svc["orders"].client, "inventory": inv_client}, tokens)
            with inventory.running(crash_at="consumer.after_db_commit") as armed:
                assert await api.wait_ready(["inventory"], 60) == [], inventory.log.read_text()
                for material in bodies.material_bodies():
                    await api.post("inventory", "/materials", material)
                for receipt in SCENARIO.receipts:
                    body = bodies.receipt_body(receipt, run_id, clock())
                    await api.post("inventory", "/receipts", body, key=body["lot_id"], scope=ERP)
                for order in SCENARIO.orders:
                    body = bodies.order_body(order, run_id, clock.at(24 * 60))
                    await api.post("orders", "/orders", body, scope=ERP)
                assert await wait_exit(armed, 60) == -signal.SIGKILL

            # Where it died: the batch and its reservations are in the database; the offsets
            # are not committed, and the relay has not published the reservations.
            assert (await _rows(urls["inventory"], _TRACKED_ORDERS))[0][0] > 0
            effects = {UUID(str(e)) for e, _ in await _rows(urls["inventory"], _EFFECTS)}
            assert effects, "the crashed batch reserved nothing"
            assert await committed_offsets(kafka_settings, "inventory.reactions", ORDERS) == {}
            assert effects.isdisjoint(await published_ids(kafka_settings, INVENTORY))

            with inventory.running():
                assert await api.wait_ready(["inventory"], 60) == [], inventory.log.read_text()
                # The orders of the crashed batch come again (no offset was committed) and
                # are recognised; the relay publishes the reservations from its checkpoint.
                deadline = time.monotonic() + 60
                while not sum((await outcomes(inv_client, "inventory.reactions")).values()):
                    assert time.monotonic() < deadline, "the crashed batch never came again"
                    await asyncio.sleep(0.2)
                assert await wait_delivered(urls, SUBSCRIBED, timeout=60) == []
                handled = await outcomes(inv_client, "inventory.reactions")
                assert handled.get("duplicate", 0) > 0, handled
        assert effects <= await published_ids(kafka_settings, INVENTORY)
        caused = await transactions_per_cause(urls)
        assert caused and repeated(caused) == {}
        # The orders' read model counts each reservation once.
        reserved = {(o, m): q for o, m, q in await _rows(urls["inventory"], _RESERVED)}
        seen = {(o, m): q for o, m, q in await _rows(urls["orders"], _ORDER_MATERIAL)}
        assert seen == reserved and reserved
