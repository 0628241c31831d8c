"""The consumer runner: each event applied once in effect, per stream in order; poison to DLQ."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import traceback
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeAlias

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.structs import ConsumerRecord
from prometheus_client import Counter, Gauge
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events import tracing
from mes_events.crashpoint import crash_point
from mes_events.envelope import EventEnvelope, MalformedMessage
from mes_events.kafka import ClusterWatch, ensure_topics, make_consumer, make_producer
from mes_events.logs import bound
from mes_events.settings import KafkaSettings
from mes_events.supervise import run_until_stopped
from mes_events.uow import UnitOfWork

log = structlog.get_logger("mes.consumer")

Handler = Callable[[AsyncConnection, EventEnvelope], Awaitable[None]]
Record: TypeAlias = ConsumerRecord[bytes, bytes]

OUTCOMES = Counter(
    "mes_consumer_messages_total", "consumed messages by outcome", ["consumer", "outcome"]
)
DEAD_LETTERS = Counter(
    "mes_consumer_dead_letters_total", "records sent to a dead-letter topic", ["consumer", "topic"]
)
LAG = Gauge(
    "mes_consumer_lag_messages",
    "messages of the topic not yet consumed: high watermark minus committed offset, summed over"
    " the partitions this member has committed on",
    ["consumer", "topic"],
)


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    GAP = "gap"
    DEAD_LETTER = "dead_letter"


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def record_digest(record: Record) -> str:
    """A digest of the record's key, value and headers: equal for a redelivered record."""
    digest = hashlib.sha256()
    for part in (record.key or b"", record.value or b"", *(v for _, v in record.headers or ())):
        digest.update(len(part).to_bytes(4, "big") + part)
    return digest.hexdigest()


_TRACKED = text(
    "SELECT stream_id, stream_version FROM consumer_stream"
    " WHERE consumer = :consumer AND source = :source AND stream_id = ANY(:ids) FOR UPDATE"
)
_TRACK = text(
    """
    INSERT INTO consumer_stream (consumer, source, stream_id, stream_version, event_id)
    VALUES (:consumer, :source, :stream_id, :stream_version, :event_id)
    ON CONFLICT (consumer, source, stream_id) DO UPDATE
    SET stream_version = excluded.stream_version, event_id = excluded.event_id, applied_at = now()
    """
)
_ANY_TRACKED = text("SELECT EXISTS (SELECT 1 FROM consumer_stream WHERE consumer = :consumer)")
_DEAD = text(
    'INSERT INTO dead_letter (consumer, topic, partition, "offset", record_digest, event_id, error)'
    " VALUES (:consumer, :topic, :partition, :offset, :digest, :event_id, :error)"
    " ON CONFLICT ON CONSTRAINT uq_dead_letter_record DO NOTHING RETURNING id"
)


@dataclass
class _Parsed:
    record: Record
    envelope: EventEnvelope | None
    error: str | None = None


class _SeekFreshToBeginning(ConsumerRebalanceListener):  # type: ignore[misc]
    """A consumer with no tracked streams (new or rebuilt) reads its topics from the start."""

    def __init__(self, runner: ConsumerRunner, consumer: AIOKafkaConsumer) -> None:
        self.runner, self.consumer = runner, consumer
        self.assignments = 0  # how many times the group assigned partitions to this member

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        for tp in revoked:
            self.runner.committed.pop(tp, None)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.assignments += 1
        if assigned and not await self.runner.has_history():
            await self.consumer.seek_to_beginning(*assigned)
        self.runner.assigned.set()


@dataclass
class ConsumerRunner:
    """Runs `handler` for every event of `topics` inside the transaction that tracks it."""

    name: str
    topics: Sequence[str]
    handler: Handler
    uow: UnitOfWork
    kafka: KafkaSettings
    retry_backoff_s: float = 0.05
    # aiokafka retries a commit forever on retriable errors, e.g. on a broker that lost the
    # topic; past this the session restarts (and creates the topics again).
    commit_timeout_s: float = 10.0
    poll_s: float = 1.0
    assigned: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    # This session's committed offsets, for the lag gauge (no request to the broker needed).
    committed: dict[TopicPartition, int] = field(default_factory=dict, init=False)
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set; reconnects after broker failures."""
        await run_until_stopped(
            f"consumer:{self.name}",
            lambda: self._session(stop),
            stop,
            on_failure=lambda _: self.assigned.clear(),
        )

    async def has_history(self) -> bool:
        async with self.uow.engine.connect() as conn:
            return bool((await conn.execute(_ANY_TRACKED, {"consumer": self.name})).scalar())

    async def _session(self, stop: asyncio.Event) -> None:
        async with contextlib.AsyncExitStack() as stack:
            watch = ClusterWatch(self.kafka)
            stack.push_async_callback(watch.close)
            await watch.start()
            await ensure_topics(self.kafka, *self.topics, *(dlq_topic(t) for t in self.topics))
            consumer = make_consumer(self.kafka, self.name)
            self.committed.clear()
            listener = _SeekFreshToBeginning(self, consumer)
            consumer.subscribe(list(self.topics), listener=listener)
            producer = make_producer(self.kafka)
            await consumer.start()
            stack.push_async_callback(consumer.stop)
            await producer.start()
            stack.push_async_callback(producer.stop)
            while not stop.is_set():
                # On a replaced (empty) broker, start over: a new member reads from the
                # offsets committed there, and with none, from the beginning.
                await watch.check()
                assignment = listener.assignments
                batches = await self._poll(consumer)
                if batches:
                    self._measure_lag(consumer)  # this batch counts until it is committed
                    # One transaction for the whole poll; a stream lives in one partition, so
                    # concatenating partitions keeps every stream in order.
                    await self.handle_batch([r for rs in batches.values() for r in rs], producer)
                    # After the database commits: a crash in between only redelivers.
                    offsets = {tp: rs[-1].offset + 1 for tp, rs in batches.items()}
                    if listener.assignments == assignment:
                        await asyncio.wait_for(consumer.commit(offsets), self.commit_timeout_s)
                        self.committed.update(offsets)
                    # else the group rebalanced since the fetch (every member rejoins a
                    # broker that came back empty): these offsets may lie past the new logs'
                    # ends, where the embedded broker answers fetches with nothing rather
                    # than "out of range". Not committing only means a harmless redelivery.
                self._measure_lag(consumer)

    async def _poll(self, consumer: AIOKafkaConsumer) -> dict[TopicPartition, list[Record]]:
        """The next records, or none after `poll_s`: during a rebalance aiokafka's getmany
        waits for the new assignment without a time limit, and the loop must go on checking
        the broker (cancelling there loses no records: none were taken yet)."""
        try:
            return await asyncio.wait_for(
                consumer.getmany(timeout_ms=200, max_records=1_000), self.poll_s
            )
        except TimeoutError:
            return {}

    def _measure_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Set the lag gauge from the high watermarks the last fetches reported (no request)."""
        lag = dict.fromkeys(self.topics, 0)
        for tp, offset in self.committed.items():
            try:
                highwater = consumer.highwater(tp)
            except AssertionError:
                continue  # revoked by a rebalance meanwhile
            if highwater is not None:
                lag[tp.topic] = lag.get(tp.topic, 0) + max(highwater - offset, 0)
        for topic, messages in lag.items():
            LAG.labels(self.name, topic).set(messages)

    async def handle_batch(self, records: Sequence[Record], producer: AIOKafkaProducer) -> None:
        """Apply records in one transaction; on failure, one by one with retries and DLQ."""
        parsed = [self._parse(r) for r in records]
        good = [p for p in parsed if p.envelope is not None]
        try:
            async with self.uow.transaction() as conn:
                outcomes = await self._apply(conn, [p.envelope for p in good if p.envelope])
        except Exception:
            outcomes = []
            for p in good:
                outcomes.append(await self._apply_alone(p, producer))
        for outcome in outcomes:
            self._count(outcome)
        if Outcome.APPLIED in outcomes:
            # Test-only (MES_CRASH_AT): die with the batch in the database, its offsets not
            # committed and its appended events not yet published by the relay.
            crash_point("consumer.after_db_commit")
        for p in parsed:
            if p.envelope is None:
                await self._dead_letter(p, producer, p.error or "malformed")

    def _parse(self, record: Record) -> _Parsed:
        try:
            return _Parsed(record, EventEnvelope.from_kafka(record.headers, record.value))
        except MalformedMessage as exc:
            return _Parsed(record, None, f"MalformedMessage: {exc}")

    async def _apply(
        self, conn: AsyncConnection, envelopes: Sequence[EventEnvelope]
    ) -> list[Outcome]:
        """Dedupe and order by stream version against the tracking rows, then handle."""
        if not envelopes:
            return []
        versions: dict[tuple[str, str], int] = {}
        for source in {e.source for e in envelopes}:
            ids = sorted({e.stream_id for e in envelopes if e.source == source})
            rows = await conn.execute(
                _TRACKED, {"consumer": self.name, "source": source, "ids": ids}
            )
            versions.update({(source, sid): int(v) for sid, v in rows})
        outcomes: list[Outcome] = []
        touched: dict[tuple[str, str], EventEnvelope] = {}
        for env in envelopes:
            key = (env.source, env.stream_id)
            last = versions.get(key, 0)
            if env.stream_version <= last:
                outcomes.append(Outcome.DUPLICATE)
                continue
            if env.stream_version > last + 1:
                # An earlier event of this stream has not arrived (a retried or republished
                # send): hold this one back; the relay sends it again after the missing one.
                log.info(
                    "consumer.gap",
                    consumer=self.name,
                    stream=env.stream_id,
                    have=last,
                    got=env.stream_version,
                )
                outcomes.append(Outcome.GAP)
                continue
            with self._context(env):
                await self.handler(conn, env)
            versions[key] = env.stream_version
            touched[key] = env
            outcomes.append(Outcome.APPLIED)
        if touched:
            await conn.execute(_TRACK, [self._track_row(e) for e in touched.values()])
        return outcomes

    def _context(self, env: EventEnvelope) -> contextlib.AbstractContextManager[None]:
        """The handler runs in a child span of the event's trace, its logs bound to the chain;
        events it appends carry that span (Metadata's default traceparent)."""
        return bound(
            env.correlation_id,
            tracing.continue_from(env.traceparent),
            consumer=self.name,
            event_id=str(env.event_id),
            event_type=env.event_type,
        )

    def _track_row(self, env: EventEnvelope) -> dict[str, Any]:
        return {
            "consumer": self.name,
            "source": env.source,
            "stream_id": env.stream_id,
            "stream_version": env.stream_version,
            "event_id": env.event_id,
        }

    async def _apply_alone(self, p: _Parsed, producer: AIOKafkaProducer) -> Outcome:
        assert p.envelope is not None
        with self._context(p.envelope):
            return await self._retry_or_dead_letter(p, p.envelope, producer)

    async def _retry_or_dead_letter(
        self, p: _Parsed, envelope: EventEnvelope, producer: AIOKafkaProducer
    ) -> Outcome:
        error = ""
        for attempt in range(1, self.kafka.max_attempts + 1):
            try:
                async with self.uow.transaction() as conn:
                    return (await self._apply(conn, [envelope]))[0]
            except Exception as exc:
                error = "".join(traceback.format_exception_only(exc)).strip()
                log.warning("consumer.attempt_failed", attempt=attempt, error=error)
                await asyncio.sleep(self.retry_backoff_s * attempt)
        await self._dead_letter(p, producer, error)
        # The stream moves on past the dead-lettered event, or its later events would wait
        # for it forever; the DLQ keeps it for a person to look at and replay.
        async with self.uow.transaction() as conn:
            await conn.execute(_TRACK, [self._track_row(envelope)])
        return Outcome.DEAD_LETTER

    async def _dead_letter(self, p: _Parsed, producer: AIOKafkaProducer, error: str) -> None:
        r = p.record
        headers = list(r.headers or ()) + [
            ("dlq_error", error[:4000].encode()),
            ("dlq_consumer", self.name.encode()),
            ("dlq_topic", r.topic.encode()),
            ("dlq_partition", str(r.partition).encode()),
            ("dlq_offset", str(r.offset).encode()),
        ]
        # The row and the DLQ record go together: a redelivered record finds its row and is
        # not dead-lettered twice; a failed send rolls the row back and is tried again.
        async with self.uow.transaction() as conn:
            first = (
                await conn.execute(
                    _DEAD,
                    {
                        "consumer": self.name,
                        "topic": r.topic,
                        "partition": r.partition,
                        "offset": r.offset,
                        "digest": record_digest(r),
                        "error": error[:4000],
                        "event_id": str(p.envelope.event_id) if p.envelope else None,
                    },
                )
            ).scalar()
            if first is None:
                return
            await _send_dead_letter(producer, dlq_topic(r.topic), r, headers)
        DEAD_LETTERS.labels(self.name, r.topic).inc()
        if p.envelope is None:
            self._count(Outcome.DEAD_LETTER)
        log.error(
            "consumer.dead_letter",
            consumer=self.name,
            topic=r.topic,
            partition=r.partition,
            offset=r.offset,
            error=error[:300],
        )

    def _count(self, outcome: Outcome) -> None:
        self.counts[outcome] += 1
        OUTCOMES.labels(self.name, outcome.value).inc()


async def _send_dead_letter(
    producer: AIOKafkaProducer, topic: str, r: Record, headers: list[tuple[str, bytes]]
) -> None:
    """Copy the record to the DLQ; one too large with our headers goes without its value.

    Why: a record near the broker's size limit no longer fits once the DLQ headers are added,
    and a DLQ send that keeps failing would stall its partition behind it for good. The value
    stays readable at the source topic, partition and offset the headers name.
    """
    try:
        sent = await producer.send(topic, value=r.value, key=r.key, headers=headers)
    except MessageSizeTooLargeError:
        omitted = [*headers, ("dlq_value_omitted_bytes", str(len(r.value or b"")).encode())]
        sent = await producer.send(topic, value=None, key=r.key, headers=omitted)
    await sent
