"""aiokafka clients built from settings, topic creation, and the broker's identity."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from mes_events.settings import KafkaSettings


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
