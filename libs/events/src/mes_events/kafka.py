"""aiokafka clients built from settings, topic creation, and the broker's identity."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from mes_events.settings import KafkaSettings
from mes_events.supervise import RestartNow


def make_producer(settings: KafkaSettings) -> AIOKafkaProducer:
    """A producer that waits for all replicas and batches per partition."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",
        enable_idempotence=settings.enable_idempotence,
        linger_ms=settings.linger_ms,
        max_batch_size=settings.max_batch_bytes,
        max_request_size=max(settings.max_batch_bytes, 1_048_576),
    )


def make_consumer(settings: KafkaSettings, group_id: str, *topics: str) -> AIOKafkaConsumer:
    """A consumer-group member that never auto-commits: offsets follow the database commit."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        session_timeout_ms=settings.session_timeout_ms,
        heartbeat_interval_ms=settings.heartbeat_interval_ms,
        fetch_max_wait_ms=settings.fetch_max_wait_ms,
        max_poll_records=1_000,
    )


async def broker_identity(settings: KafkaSettings) -> str:
    """The cluster id: a different id means a different broker, and so an empty history."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        return str((await admin.describe_cluster())["cluster_id"])
    finally:
        await admin.close()


class BrokerReplaced(RestartNow):
    """The broker now answering is another one (a new cluster id): it holds none of our data."""


@dataclass
class ClusterWatch:
    """Notices, within `every_s`, that the broker was replaced under a running session.

    aiokafka reconnects to whatever listens on the address, and the embedded broker comes
    back empty: a producer with cached metadata gets acks for partitions the new broker does
    not list, and consumers' positions point past its logs. Only the cluster id tells.
    """

    settings: KafkaSettings
    every_s: float = 1.0
    timeout_s: float = 5.0
    cluster_id: str = field(default="", init=False)
    _admin: AIOKafkaAdminClient | None = field(default=None, init=False, repr=False)
    _checked_at: float = field(default=0.0, init=False, repr=False)

    async def start(self) -> str:
        """Connect and learn the cluster id this session works with."""
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.bootstrap_servers)
        await self._admin.start()
        self.cluster_id = await self._current()
        return self.cluster_id

    async def check(self) -> None:
        """Raise BrokerReplaced if the cluster id changed (asks at most every `every_s`)."""
        if time.monotonic() - self._checked_at < self.every_s:
            return
        current = await self._current()
        if current != self.cluster_id:
            raise BrokerReplaced(f"broker {self.cluster_id} replaced by {current}")

    async def _current(self) -> str:
        assert self._admin is not None, "start() first"
        described = await asyncio.wait_for(self._admin.describe_cluster(), self.timeout_s)
        self._checked_at = time.monotonic()
        return str(described["cluster_id"])

    async def close(self) -> None:
        if self._admin is not None:
            await self._admin.close()
            self._admin = None


async def ensure_topics(settings: KafkaSettings, *topics: str) -> list[str]:
    """Create the topics that are missing (keeping every event); returns those it created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            new = [
                NewTopic(
                    t,
                    settings.partitions,
                    settings.replication_factor,
                    topic_configs={"retention.ms": "-1"},
                )
                for t in missing
            ]
            try:
                await admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass
        return missing
    finally:
        await admin.close()
