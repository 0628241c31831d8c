"""The event store: optimistic appends, stream reads, commit-safe tailing reads, snapshots."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

import asyncpg
import orjson
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events import tracing
from mes_events.envelope import EventEnvelope
from mes_events.registry import DomainEvent
from mes_events.uow import driver_of, note_appended


class ConcurrencyError(Exception):
    """The stream is not at the expected version (or moved under a newer transaction): retry."""

    def __init__(self, stream_id: str, expected: int, actual: int | None) -> None:
        super().__init__(
            f"stream {stream_id!r}: expected version {expected}, found {actual}"
            if actual is not None
            else f"stream {stream_id!r}: concurrent append, retry in a new transaction"
        )
        self.stream_id, self.expected, self.actual = stream_id, expected, actual


class DuplicateEventId(Exception):
    """An event id that is already stored was appended again."""


T = TypeVar("T")
CONFLICT_ATTEMPTS = 3


async def retry_on_conflict(
    attempt: Callable[[], Awaitable[T]], *, attempts: int = CONFLICT_ATTEMPTS
) -> T:
    """Run a whole transaction again when the stream moved under it; the last conflict raises.

    STYLE.md: reload, decide and append again up to 3 times, then the ConcurrencyError is a 409.
    """
    for n in range(1, attempts + 1):
        try:
            return await attempt()
        except ConcurrencyError:
            if n == attempts:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True, slots=True)
class Metadata:
    """Who/what caused the events being appended, and when they happened (from the clock)."""

    occurred_at: datetime
    correlation_id: UUID
    causation_id: UUID | None = None
    # W3C traceparent of the span appending the events: by default the current one (the
    # request's or the consumed event's), so handlers carry the trace without passing it on.
    traceparent: str | None = field(default_factory=tracing.current_header)


@dataclass(frozen=True, order=True, slots=True)
class Cursor:
    """A position in the store's commit-safe order: (writing transaction id, position)."""

    tx_id: int = 0
    position: int = 0


START = Cursor()

_COLUMNS = (
    "position, tx_id, event_id, event_type, schema_version, stream_type, stream_id,"
    " stream_version, data, occurred_at, correlation_id, causation_id, traceparent"
)

# One round trip: the head check and the insert happen in a single statement. The head check
# also demands that the stream's last event was written by an older transaction than ours:
# readers order by (tx_id, position), so this keeps every stream in version order for them
# (a transaction that took its id before a concurrent append to the same stream retries).
_APPEND = text(
    """
    WITH head AS (
        SELECT stream_version, tx_id FROM stored_event
        WHERE stream_id = :stream_id ORDER BY stream_version DESC LIMIT 1
    )
    INSERT INTO stored_event (event_id, stream_type, stream_id, stream_version, event_type,
                              schema_version, data, occurred_at, correlation_id, causation_id,
                              traceparent)
    SELECT e.event_id, :stream_type, :stream_id, :expected + e.n::int, e.event_type,
           e.schema_version, e.data::jsonb, :occurred_at, :correlation_id, :causation_id,
           :traceparent
    FROM unnest(CAST(:event_ids AS uuid[]), CAST(:event_types AS text[]),
                CAST(:schema_versions AS int[]), CAST(:datas AS text[]))
         WITH ORDINALITY AS e(event_id, event_type, schema_version, data, n)
    WHERE coalesce((SELECT stream_version FROM head), 0) = :expected
      AND coalesce((SELECT tx_id <= pg_current_xact_id() FROM head), true)
    ORDER BY e.n
    RETURNING position
    """
)

# The same statement with asyncpg's positional parameters, for the driver fast path.
_APPEND_DRIVER = (
    str(_APPEND.text)
    .replace(":stream_id", "$1")
    .replace(":stream_type", "$2")
    .replace(":expected", "$3")
    .replace(":occurred_at", "$4")
    .replace(":correlation_id", "$5")
    .replace(":causation_id", "$6")
    .replace(":event_ids", "$7")
    .replace(":event_types", "$8")
    .replace(":schema_versions", "$9")
    .replace(":datas", "$10")
    .replace(":traceparent", "$11")
)

# One event, the common case: the same statement without arrays, which PostgreSQL and
# asyncpg would otherwise build and take apart for a single row. bench/event_store.py,
# 10 writers, four alternating runs each: 4,864-5,559 appends/s with arrays, 5,981-6,695
# without.
_APPEND_ONE_DRIVER = """
    WITH head AS (
        SELECT stream_version, tx_id FROM stored_event
        WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1
    )
    INSERT INTO stored_event (event_id, stream_type, stream_id, stream_version, event_type,
                              schema_version, data, occurred_at, correlation_id, causation_id,
                              traceparent)
    SELECT $7, $2, $1, $3 + 1, $8, $9, CAST($10 AS text)::jsonb, $4, $5, $6, $11
    WHERE coalesce((SELECT stream_version FROM head), 0) = $3
      AND coalesce((SELECT tx_id <= pg_current_xact_id() FROM head), true)
    RETURNING position
"""

# Many streams in one statement (group commit): the same head check per stream, each batch row
# carrying its stream's expected version; `k` numbers a stream's events from 1.
_APPEND_MANY = """
    WITH batch AS (
        SELECT * FROM unnest(CAST($1 AS text[]), CAST($2 AS text[]), CAST($3 AS int[]),
                             CAST($4 AS int[]), CAST($5 AS uuid[]), CAST($6 AS text[]),
                             CAST($7 AS int[]), CAST($8 AS text[]), CAST($9 AS timestamptz[]),
                             CAST($10 AS uuid[]), CAST($11 AS uuid[]), CAST($12 AS text[]))
        WITH ORDINALITY AS b(stream_id, stream_type, expected, k, event_id, event_type,
                             schema_version, data, occurred_at, correlation_id, causation_id,
                             traceparent, n)
    ), heads AS (
        SELECT s.stream_id, h.stream_version, h.tx_id
        FROM (SELECT DISTINCT stream_id FROM batch) s
        LEFT JOIN LATERAL (
            SELECT stream_version, tx_id FROM stored_event e WHERE e.stream_id = s.stream_id
            ORDER BY stream_version DESC LIMIT 1
        ) h ON true
    )
    INSERT INTO stored_event (event_id, stream_type, stream_id, stream_version, event_type,
                              schema_version, data, occurred_at, correlation_id, causation_id,
                              traceparent)
    SELECT b.event_id, b.stream_type, b.stream_id, b.expected + b.k, b.event_type,
           b.schema_version, b.data::jsonb, b.occurred_at, b.correlation_id, b.causation_id,
           b.traceparent
    FROM batch b JOIN heads h USING (stream_id)
    WHERE coalesce(h.stream_version, 0) = b.expected
      AND coalesce(h.tx_id <= pg_current_xact_id(), true)
    ORDER BY b.n
    RETURNING event_id, position
"""
# The same statement through SQLAlchemy, for connections outside a UnitOfWork transaction.
_APPEND_MANY_SA = text(re.sub(r"\$(\d+)", r":p\1", _APPEND_MANY))


@dataclass(frozen=True, slots=True)
class Append:
    """One stream's part of a multi-stream append."""

    stream_id: str
    expected_version: int
    events: Sequence[DomainEvent]
    meta: Metadata


_STREAM_VERSION = text(
    "SELECT coalesce(max(stream_version), 0) FROM stored_event WHERE stream_id = :stream_id"
)

_READ_STREAM = text(
    f"SELECT {_COLUMNS} FROM stored_event WHERE stream_id = :stream_id"
    " AND stream_version > :after ORDER BY stream_version"
)

# Rows of transactions at or above the snapshot's xmin may still be joined by rows of an
# older, uncommitted transaction that sorts before them; they are returned only as a count
# ("held back") so a tailing reader retries soon instead of skipping anything.
_READ_ALL = text(
    f"SELECT {_COLUMNS}, pg_snapshot_xmin(pg_current_snapshot()) AS xmin FROM stored_event"
    " WHERE (tx_id, position) > (CAST(:tx_id AS xid8), :position)"
    " ORDER BY tx_id, position LIMIT :limit"
)


@dataclass(frozen=True, slots=True)
class Page:
    """A batch of a tailing read: the events, where to continue, and whether rows wait behind."""

    events: list[EventEnvelope]
    next: Cursor
    held_back: bool
    # The cursor of each event (readers that hand out exact resume points, like the SSE ids).
    cursors: list[Cursor] = field(default_factory=list)


class EventStore:
    """Append-only store of one service's events in its own PostgreSQL database."""

    def __init__(self, source: str) -> None:
        self.source = source

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        expected_version: int,
        events: Sequence[DomainEvent],
        meta: Metadata,
        *,
        event_ids: Sequence[UUID] | None = None,
    ) -> list[EventEnvelope]:
        """Append `events` if the stream is at `expected_version`, else raise ConcurrencyError."""
        if not events:
            return []
        ids = list(event_ids) if event_ids is not None else [uuid4() for _ in events]
        stream_type = events[0].stream_type
        datas = [e.model_dump(mode="json") for e in events]
        params: dict[str, Any] = {
            "stream_id": stream_id,
            "stream_type": stream_type,
            "expected": expected_version,
            "occurred_at": meta.occurred_at,
            "correlation_id": meta.correlation_id,
            "causation_id": meta.causation_id,
            "event_ids": ids,
            "event_types": [e.type_name for e in events],
            "schema_versions": [e.version for e in events],
            "datas": [orjson.dumps(d).decode() for d in datas],
            "traceparent": meta.traceparent,
        }
        driver = driver_of(conn)
        try:
            if driver is not None and len(events) == 1:
                (event,) = events
                rows = await driver.fetch(
                    _APPEND_ONE_DRIVER,
                    stream_id,
                    stream_type,
                    expected_version,
                    meta.occurred_at,
                    meta.correlation_id,
                    meta.causation_id,
                    ids[0],
                    event.type_name,
                    event.version,
                    params["datas"][0],
                    meta.traceparent,
                )
                positions = [r[0] for r in rows]
            elif driver is not None:
                # Inside a UnitOfWork transaction: skip SQLAlchemy's per-statement overhead.
                rows = await driver.fetch(_APPEND_DRIVER, *params.values())
                positions = [r[0] for r in rows]
            else:
                positions = list((await conn.execute(_APPEND, params)).scalars().all())
        except (IntegrityError, asyncpg.UniqueViolationError) as exc:
            if "uq_stored_event_event_id" in str(getattr(exc, "orig", exc)):
                raise DuplicateEventId(str(exc)) from exc
            raise ConcurrencyError(stream_id, expected_version, None) from exc
        note_appended(conn, self.source, len(positions))
        if not positions:
            actual = await self.stream_version(conn, stream_id)
            raise ConcurrencyError(
                stream_id, expected_version, actual if actual != expected_version else None
            )
        return [
            EventEnvelope(
                event_id=ids[i],
                event_type=e.type_name,
                schema_version=e.version,
                source=self.source,
                stream_type=stream_type,
                stream_id=stream_id,
                stream_version=expected_version + i + 1,
                occurred_at=meta.occurred_at,
                correlation_id=meta.correlation_id,
                causation_id=meta.causation_id,
                data=datas[i],
                position=positions[i],
                traceparent=meta.traceparent,
            )
            for i, e in enumerate(events)
        ]

    async def append_many(
        self, conn: AsyncConnection, appends: Sequence[Append]
    ) -> list[list[EventEnvelope]]:
        """Append to several distinct streams in one statement; all or ConcurrencyError.

        For group commit: a batch of requests costs one round trip instead of one per stream.
        """
        appends = [a for a in appends if a.events]
        if not appends:
            return []
        if len({a.stream_id for a in appends}) != len(appends):
            raise ValueError("append_many takes each stream at most once")
        columns: list[list[Any]] = [[] for _ in range(12)]
        datas: list[list[dict[str, Any]]] = []
        for a in appends:
            dumped = [e.model_dump(mode="json") for e in a.events]
            datas.append(dumped)
            for k, (e, d) in enumerate(zip(a.events, dumped, strict=True), start=1):
                row = (
                    a.stream_id,
                    e.stream_type,
                    a.expected_version,
                    k,
                    uuid4(),
                    e.type_name,
                    e.version,
                    orjson.dumps(d).decode(),
                    a.meta.occurred_at,
                    a.meta.correlation_id,
                    a.meta.causation_id,
                    a.meta.traceparent,
                )
                for column, value in zip(columns, row, strict=True):
                    column.append(value)
        driver = driver_of(conn)
        try:
            if driver is not None:
                rows = await driver.fetch(_APPEND_MANY, *columns)
            else:
                params = {f"p{i}": column for i, column in enumerate(columns, start=1)}
                rows = list(await conn.execute(_APPEND_MANY_SA, params))
        except (IntegrityError, asyncpg.UniqueViolationError) as exc:
            raise ConcurrencyError(appends[0].stream_id, appends[0].expected_version, None) from exc
        note_appended(conn, self.source, len(rows))
        positions = {r[0]: r[1] for r in rows}
        ids = iter(columns[4])
        result: list[list[EventEnvelope]] = []
        for a, dumped in zip(appends, datas, strict=True):
            mine = [next(ids) for _ in a.events]
            if mine[0] not in positions:
                actual = await self.stream_version(conn, a.stream_id)
                raise ConcurrencyError(
                    a.stream_id,
                    a.expected_version,
                    actual if actual != a.expected_version else None,
                )
            result.append(
                [
                    self._new_envelope(a, i, e, event_id, dumped[i], positions[event_id])
                    for i, (e, event_id) in enumerate(zip(a.events, mine, strict=True))
                ]
            )
        return result

    def _new_envelope(
        self,
        a: Append,
        i: int,
        event: DomainEvent,
        event_id: UUID,
        data: dict[str, Any],
        position: int,
    ) -> EventEnvelope:
        return EventEnvelope(
            event_id=event_id,
            event_type=event.type_name,
            schema_version=event.version,
            source=self.source,
            stream_type=event.stream_type,
            stream_id=a.stream_id,
            stream_version=a.expected_version + i + 1,
            occurred_at=a.meta.occurred_at,
            correlation_id=a.meta.correlation_id,
            causation_id=a.meta.causation_id,
            data=data,
            position=position,
            traceparent=a.meta.traceparent,
        )

    async def stream_version(self, conn: AsyncConnection, stream_id: str) -> int:
        """The stream's current version (0 when it has no events)."""
        return int((await conn.execute(_STREAM_VERSION, {"stream_id": stream_id})).scalar_one())

    async def read_stream(
        self, conn: AsyncConnection, stream_id: str, *, after_version: int = 0
    ) -> list[EventEnvelope]:
        """The stream's events after `after_version`, in version order."""
        rows = await conn.execute(_READ_STREAM, {"stream_id": stream_id, "after": after_version})
        return [self._envelope(r._mapping) for r in rows]

    async def read_all(
        self, conn: AsyncConnection, after: Cursor = START, *, limit: int = 1000
    ) -> Page:
        """All events after `after` in commit-safe order; never skips a late commit."""
        rows = (
            await conn.execute(
                _READ_ALL, {"tx_id": after.tx_id, "position": after.position, "limit": limit}
            )
        ).all()
        events: list[EventEnvelope] = []
        cursors: list[Cursor] = []
        cursor = after
        for row in rows:
            m = row._mapping
            if m["tx_id"] >= m["xmin"]:
                return Page(events, cursor, held_back=True, cursors=cursors)
            events.append(self._envelope(m))
            cursor = Cursor(int(m["tx_id"]), int(m["position"]))
            cursors.append(cursor)
        return Page(events, cursor, held_back=False, cursors=cursors)

    def _envelope(self, m: Any) -> EventEnvelope:
        return EventEnvelope(
            event_id=m["event_id"],
            event_type=m["event_type"],
            schema_version=m["schema_version"],
            source=self.source,
            stream_type=m["stream_type"],
            stream_id=m["stream_id"],
            stream_version=m["stream_version"],
            occurred_at=m["occurred_at"],
            correlation_id=m["correlation_id"],
            causation_id=m["causation_id"],
            data=m["data"],
            position=m["position"],
            traceparent=m["traceparent"],
        )


_SAVE_SNAPSHOT = text(
    """
    INSERT INTO snapshot (stream_id, stream_version, schema_key, state)
    VALUES (:stream_id, :version, :schema_key, CAST(:state AS jsonb))
    ON CONFLICT (stream_id) DO UPDATE SET stream_version = excluded.stream_version,
        schema_key = excluded.schema_key, state = excluded.state, taken_at = now()
    WHERE snapshot.stream_version < excluded.stream_version
    """
)
_LOAD_SNAPSHOT = text(
    "SELECT stream_version, state FROM snapshot"
    " WHERE stream_id = :stream_id AND schema_key = :schema_key"
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A disposable copy of a folded state at a stream version."""

    stream_version: int
    state: dict[str, Any]


async def save_snapshot(
    conn: AsyncConnection, stream_id: str, version: int, schema_key: str, state: dict[str, Any]
) -> None:
    """Store the state at `version`; an older snapshot never replaces a newer one."""
    await conn.execute(
        _SAVE_SNAPSHOT,
        {
            "stream_id": stream_id,
            "version": version,
            "schema_key": schema_key,
            "state": orjson.dumps(state).decode(),
        },
    )


async def load_snapshot(conn: AsyncConnection, stream_id: str, schema_key: str) -> Snapshot | None:
    """The stream's snapshot if it was taken under `schema_key`; otherwise None (replay instead)."""
    row = (
        await conn.execute(_LOAD_SNAPSHOT, {"stream_id": stream_id, "schema_key": schema_key})
    ).first()
    return None if row is None else Snapshot(int(row[0]), dict(row[1]))
