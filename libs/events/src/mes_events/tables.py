"""SQLAlchemy Core tables of the event store and the consumer/projection bookkeeping."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.types import UserDefinedType

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)


class XID8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id (asyncpg reads it as int)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


stored_event = Table(
    "stored_event",
    metadata,
    Column("position", BigInteger, Identity(always=True), primary_key=True),
    # The writing transaction's id: tailing readers order by (tx_id, position) and only read
    # below the oldest running transaction, so a late commit is never skipped.
    Column("tx_id", XID8, nullable=False, server_default=text("pg_current_xact_id()")),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("stream_type", Text, nullable=False),
    Column("stream_id", Text, nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("correlation_id", UUID(as_uuid=True), nullable=False),
    Column("causation_id", UUID(as_uuid=True), nullable=True),
    # W3C traceparent of the span that appended the event (REST request or consumed event).
    Column("traceparent", Text, nullable=True),
    UniqueConstraint("stream_id", "stream_version", name="uq_stored_event_stream"),
    Index("ix_stored_event_tx_position", "tx_id", "position"),
)

snapshot = Table(
    "snapshot",
    metadata,
    Column("stream_id", Text, primary_key=True),
    Column("stream_version", Integer, nullable=False),
    # A hash of the state's schema: a snapshot taken under another shape is ignored, not read.
    Column("schema_key", Text, nullable=False),
    Column("state", JSONB, nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

relay_checkpoint = Table(
    "relay_checkpoint",
    metadata,
    Column("relay", Text, primary_key=True),
    # The broker incarnation the checkpoint belongs to: a new (empty) broker restarts at zero.
    Column("broker_id", Text, primary_key=True),
    Column("tx_id", XID8, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("published", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

consumer_stream = Table(
    "consumer_stream",
    metadata,
    # Per consumer and source stream: the last applied version. Dedupe (version <= last) and
    # ordering (a gap is held back, never skipped) come from this one row.
    Column("consumer", Text, primary_key=True),
    Column("source", Text, primary_key=True),
    Column("stream_id", Text, primary_key=True),
    Column("stream_version", Integer, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

dead_letter = Table(
    "dead_letter",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("consumer", Text, nullable=False),
    Column("topic", Text, nullable=False),
    Column("partition", Integer, nullable=False),
    Column("offset", BigInteger, nullable=False),
    # With the offset, a digest of the record's bytes tells a redelivery (same record) from a
    # record at the same offset of a newer broker incarnation (the embedded broker sends no
    # record timestamps).
    Column("record_digest", Text, nullable=False),
    Column("event_id", Text, nullable=True),
    Column("error", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint(
        "consumer", "topic", "partition", "offset", "record_digest", name="uq_dead_letter_record"
    ),
)

projection_checkpoint = Table(
    "projection_checkpoint",
    metadata,
    Column("projection", Text, primary_key=True),
    Column("tx_id", XID8, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
