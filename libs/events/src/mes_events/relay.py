"""The relay: publishes stored events to Kafka in commit-safe order, never skipping one."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import structlog
from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from mes_events.kafka import broker_identity, ensure_topics, make_producer
from mes_events.migration import NOTIFY_CHANNEL
from mes_events.settings import KafkaSettings
from mes_events.store import START, Cursor, EventStore

log = structlog.get_logger("mes.relay")

PUBLISHED = Counter("mes_relay_published_total", "events published by the relay", ["relay"])
REPUBLISHES = Counter("mes_relay_restarts_total", "relay restarts from a checkpoint", ["relay"])
POSITION = Gauge("mes_relay_position", "store position of the last published event", ["relay"])

_LOAD = text(
    "SELECT tx_id, position FROM relay_checkpoint WHERE relay = :relay AND broker_id = :broker"
)
_SAVE = text(
    """
    INSERT INTO relay_checkpoint (relay, broker_id, tx_id, position, published)
    VALUES (:relay, :broker, CAST(:tx_id AS xid8), :position, :n)
    ON CONFLICT (relay, broker_id) DO UPDATE SET tx_id = excluded.tx_id,
        position = excluded.position, published = relay_checkpoint.published + excluded.published,
        updated_at = now()
    """
)
_REWIND = text("DELETE FROM relay_checkpoint WHERE relay = :relay")
_FIRST_AT = text("SELECT min(tx_id::text::bigint) FROM stored_event WHERE position >= :position")
_LOCK = text("SELECT pg_try_advisory_lock(hashtext(:name))")


@dataclass
class Relay:
    """Tails one store and publishes each event once per broker incarnation (at least once)."""

    name: str
    topic: str
    store: EventStore
    engine: AsyncEngine
    kafka: KafkaSettings
    batch_size: int = 1_000
    # Fallback wake-up in case a notification is missed (e.g. the listen connection dropped).
    idle_poll_s: float = 0.5
    # While a concurrent transaction holds rows back, look again soon.
    held_back_poll_s: float = 0.002
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; reconnects (and republishes) after broker failures."""
        while not stop.is_set():
            try:
                await self._session(stop)
            except asyncio.CancelledError:
                raise
            except (
                Exception
            ) as exc:  # any broker/database failure: back off, resume from checkpoint
                REPUBLISHES.labels(self.name).inc()
                log.warning("relay.restart", relay=self.name, error=repr(exc))
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)

    async def _session(self, stop: asyncio.Event) -> None:
        broker = await broker_identity(self.kafka)
        await ensure_topics(self.kafka, self.topic)
        producer = make_producer(self.kafka)
        await producer.start()
        try:
            async with self.engine.connect() as listen_conn:
                await listen_conn.execution_options(isolation_level="AUTOCOMMIT")
                # One active relay per service: a second process waits as a standby, since
                # two relays would only publish everything twice.
                if not (await listen_conn.execute(_LOCK, {"name": f"relay:{self.name}"})).scalar():
                    log.info("relay.standby", relay=self.name)
                    await asyncio.sleep(1.0)
                    return
                raw = (await listen_conn.get_raw_connection()).driver_connection
                assert raw is not None
                await raw.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
                cursor = await self._checkpoint(broker)
                log.info("relay.start", relay=self.name, broker=broker, cursor=cursor)
                while not stop.is_set():
                    self._wake.clear()
                    cursor, held_back = await self.publish_available(producer, broker, cursor)
                    if held_back:
                        await asyncio.sleep(self.held_back_poll_s)
                        continue
                    waiter = asyncio.ensure_future(self._wake.wait())
                    stopper = asyncio.ensure_future(stop.wait())
                    await asyncio.wait(
                        {waiter, stopper},
                        timeout=self.idle_poll_s,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    waiter.cancel()
                    stopper.cancel()
        finally:
            await producer.stop()

    async def publish_available(
        self, producer: AIOKafkaProducer, broker: str, cursor: Cursor
    ) -> tuple[Cursor, bool]:
        """Publish pages until the store has nothing more that is safe to read."""
        while True:
            async with self.engine.connect() as conn:
                page = await self.store.read_all(conn, cursor, limit=self.batch_size)
            if not page.events:
                return cursor, page.held_back
            # Send the whole page before awaiting: aiokafka packs it into per-partition batches
            # and keeps one batch in flight per partition, so a stream's order survives retries.
            futures = [
                await producer.send(
                    self.topic,
                    value=env.value(),
                    key=env.stream_id.encode(),
                    headers=env.headers(),
                )
                for env in page.events
            ]
            await asyncio.gather(*futures)
            async with self.engine.begin() as conn:
                await conn.execute(
                    _SAVE,
                    {
                        "relay": self.name,
                        "broker": broker,
                        "tx_id": page.next.tx_id,
                        "position": page.next.position,
                        "n": len(page.events),
                    },
                )
            cursor = page.next
            PUBLISHED.labels(self.name).inc(len(page.events))
            POSITION.labels(self.name).set(cursor.position)
            if page.held_back or len(page.events) < self.batch_size:
                return cursor, page.held_back

    async def _checkpoint(self, broker: str) -> Cursor:
        async with self.engine.connect() as conn:
            row = (await conn.execute(_LOAD, {"relay": self.name, "broker": broker})).first()
        return START if row is None else Cursor(int(row[0]), int(row[1]))


async def rewind(engine: AsyncEngine, relay: str, broker: str, from_position: int) -> Cursor:
    """Make `relay` republish every event at or after `from_position` (and possibly a few more)."""
    async with engine.begin() as conn:
        first_tx = (await conn.execute(_FIRST_AT, {"position": from_position})).scalar()
        await conn.execute(_REWIND, {"relay": relay})
        cursor = START if first_tx is None or from_position <= 1 else Cursor(int(first_tx) - 1, 0)
        await conn.execute(
            _SAVE,
            {
                "relay": relay,
                "broker": broker,
                "tx_id": cursor.tx_id,
                "position": cursor.position,
                "n": 0,
            },
        )
    return cursor
