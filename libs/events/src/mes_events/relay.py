"""The relay: publishes stored events to Kafka in commit-safe order, never skipping one."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

import structlog
from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from mes_events.kafka import ClusterWatch, ensure_topics, make_producer
from mes_events.settings import KafkaSettings
from mes_events.store import START, Cursor, EventStore
from mes_events.supervise import run_until_stopped
from mes_events.wakeup import listen_for_appends, wait_for_wake

log = structlog.get_logger("mes.relay")

PUBLISHED = Counter("mes_relay_published_total", "events published by the relay", ["relay"])
REPUBLISHES = Counter("mes_relay_restarts_total", "relay restarts from a checkpoint", ["relay"])
POSITION = Gauge("mes_relay_position", "store position of the last published event", ["relay"])
LAG = Gauge("mes_relay_lag_events", "stored events the relay has not published yet", ["relay"])

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
# Counted, not `max(position) - position`: positions have gaps (rolled-back appends) and are
# not in the relay's (tx_id, position) order.
_UNPUBLISHED = text(
    "SELECT count(*) FROM stored_event WHERE (tx_id, position) > (CAST(:tx_id AS xid8), :position)"
)


@dataclass
class _Progress:
    cursor: Cursor
    unsaved: int = 0
    saved_at: float = field(default_factory=time.monotonic)
    lag_measured_at: float = 0.0


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
    checkpoint_every_s: float = 0.25
    lag_every_s: float = 1.0
    broker_check_every_s: float = 1.0
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    def __post_init__(self) -> None:
        # Reads and checkpoint writes are single statements: no BEGIN/ROLLBACK round trips.
        self._reads = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; reconnects (and republishes) after broker failures."""
        await run_until_stopped(
            f"relay:{self.name}",
            lambda: self._session(stop),
            stop,
            on_failure=lambda _: REPUBLISHES.labels(self.name).inc(),
        )

    async def _session(self, stop: asyncio.Event) -> None:
        async with contextlib.AsyncExitStack() as stack:
            watch = ClusterWatch(self.kafka, every_s=self.broker_check_every_s)
            stack.push_async_callback(watch.close)
            broker = await watch.start()
            await ensure_topics(self.kafka, self.topic)
            # The relay lingers before it reads a page (see _publish_loop) and sends the page
            # at once, which aiokafka packs into per-partition batches without waiting.
            producer = make_producer(self.kafka.model_copy(update={"linger_ms": 0}))
            await producer.start()
            stack.push_async_callback(producer.stop)
            listen_conn = await stack.enter_async_context(self._reads.connect())
            # The connection holds the session-level advisory lock and the LISTEN: close it at
            # the end rather than return it to the pool, where it would keep both, and the
            # next session would find its own lock taken and wait as a standby.
            stack.push_async_callback(listen_conn.invalidate)
            # One active relay per service: a second process waits as a standby, since
            # two relays would only publish everything twice.
            if not (await listen_conn.execute(_LOCK, {"name": f"relay:{self.name}"})).scalar():
                log.info("relay.standby", relay=self.name)
                await asyncio.sleep(1.0)
                return
            await listen_for_appends(listen_conn, self._wake)
            # A new broker (new cluster id) has no checkpoint yet: everything is published again.
            progress = _Progress(await self._checkpoint(broker))
            log.info("relay.start", relay=self.name, broker=broker, cursor=progress.cursor)
            try:
                await self._publish_loop(producer, watch, progress, stop)
            finally:
                await self._save(broker, progress)

    async def _publish_loop(
        self,
        producer: AIOKafkaProducer,
        watch: ClusterWatch,
        progress: _Progress,
        stop: asyncio.Event,
    ) -> None:
        while not stop.is_set():
            # A replaced broker lost what it held, and this producer would keep sending to it
            # as if nothing happened: restart, and so republish from the new broker's (empty)
            # checkpoint.
            await watch.check()
            self._wake.clear()
            held_back = await self.publish_available(producer, progress)
            if progress.unsaved and (
                not held_back or time.monotonic() - progress.saved_at > self.checkpoint_every_s
            ):
                await self._save(watch.cluster_id, progress)
            if time.monotonic() - progress.lag_measured_at >= self.lag_every_s:
                await self._measure_lag(progress)
            # Let the appends of the next `linger_ms` join the page: a broker stores each batch
            # as one unit, and the embedded one's fetches cost time per stored batch, so the
            # interval sets both how many batches it holds and how often a fetch finds one
            # new (see KafkaSettings.linger_ms). Under steady writes some transaction is
            # nearly always in flight and holds rows back, so the look-again after a
            # held-back page waits as long.
            linger_s = self.kafka.linger_ms / 1000
            if held_back:
                await asyncio.sleep(max(self.held_back_poll_s, linger_s))
                continue
            await wait_for_wake(self._wake, stop, self.idle_poll_s)
            if linger_s and not stop.is_set():
                await asyncio.sleep(linger_s)

    async def publish_available(self, producer: AIOKafkaProducer, progress: _Progress) -> bool:
        """Publish pages until nothing more is safe to read; whether rows are held back."""
        while True:
            async with self._reads.connect() as conn:
                page = await self.store.read_all(conn, progress.cursor, limit=self.batch_size)
            if not page.events:
                return page.held_back
            # Send the whole page before awaiting: aiokafka keeps one batch in flight per
            # partition, so a stream's order survives retries; any failure raises here and the
            # session restarts from the saved checkpoint (duplicates, never gaps).
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
            progress.cursor = page.next
            progress.unsaved += len(page.events)
            PUBLISHED.labels(self.name).inc(len(page.events))
            POSITION.labels(self.name).set(page.next.position)
            if page.held_back or len(page.events) < self.batch_size:
                return page.held_back

    async def unpublished(self, after: Cursor) -> int:
        """How many stored events come after `after` in the relay's order."""
        async with self._reads.connect() as conn:
            params = {"tx_id": after.tx_id, "position": after.position}
            return int((await conn.execute(_UNPUBLISHED, params)).scalar_one())

    async def _measure_lag(self, progress: _Progress) -> None:
        LAG.labels(self.name).set(await self.unpublished(progress.cursor))
        progress.lag_measured_at = time.monotonic()

    async def _save(self, broker: str, progress: _Progress) -> None:
        """Record how far the relay got. Saving lazily only risks republishing, never a gap."""
        if not progress.unsaved:
            return
        async with self._reads.connect() as conn:
            await conn.execute(
                _SAVE,
                {
                    "relay": self.name,
                    "broker": broker,
                    "tx_id": progress.cursor.tx_id,
                    "position": progress.cursor.position,
                    "n": progress.unsaved,
                },
            )
        progress.unsaved, progress.saved_at = 0, time.monotonic()

    async def _checkpoint(self, broker: str) -> Cursor:
        async with self._reads.connect() as conn:
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
