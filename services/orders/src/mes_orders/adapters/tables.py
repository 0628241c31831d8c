"""Read-model tables of the orders service (created by migrations/, never by create_all)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

from mes_events.tables import NAMING

metadata = MetaData(naming_convention=NAMING)

order_summary = Table(
    "order_summary_v1",
    metadata,
    # Arrival number: the key of cursor pagination (stable under amendments and inserts).
    Column("row_id", BigInteger, Identity(always=True), nullable=False, unique=True),
    Column("order_id", Text, primary_key=True),
    # Unique: two concurrent creates with one ERP reference cannot both succeed.
    Column("external_ref", Text, nullable=False, unique=True),
    Column("request_hash", Text, nullable=False),
    Column("customer", Text, nullable=False),
    Column("product", Text, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("routing", JSONB, nullable=False),
    Column("materials", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("projected_completion_at", DateTime(timezone=True)),
    Column("projected_at", DateTime(timezone=True)),
    Column("good_quantity", Integer, nullable=False, server_default="0"),
    Column("scrap_quantity", Integer, nullable=False, server_default="0"),
    Column("completed_at", DateTime(timezone=True)),
    Column("on_time", Boolean),
    Column("cancel_reason", Text),
)

order_operation = Table(
    "order_operation_v1",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("status", Text, nullable=False),
    Column("good_quantity", Integer, nullable=False, server_default="0"),
    Column("scrap_quantity", Integer, nullable=False, server_default="0"),
    Column("started_at", DateTime(timezone=True)),
    Column("completed_at", DateTime(timezone=True)),
)

order_material = Table(
    "order_material_v1",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("material_id", Text, primary_key=True),
    Column("reserved_quantity", Numeric, nullable=False, server_default="0"),
    Column("missing_quantity", Numeric, nullable=False, server_default="0"),
    Column("consumed_quantity", Numeric, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
