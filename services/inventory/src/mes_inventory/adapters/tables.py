"""Core tables of the inventory read models and of the state kept from other services' events.

Stock tables (`material`, `lot`, `reservation`, `order_material`, `consumption`) are derived
only from this service's own store (rebuildable: `projections/stock.py`). `demand` and
`requirement` come from the orders topic (consumer state, tracked by `consumer_stream`).
The CHECK constraints restate the invariants, so a bug fails a transaction instead of
storing an impossible balance.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from mes_events.tables import NAMING

# Our own MetaData: the library's holds only the store tables, and services never share tables.
metadata = MetaData(naming_convention=NAMING)

material = Table(
    "material",
    metadata,
    Column("material_id", Text, primary_key=True),
    Column("description", Text, nullable=False),
    Column("unit", Text, nullable=False),
    Column("reorder_point", Numeric, nullable=False),
    Column("lead_time_days", Integer, nullable=False),
    Column("version", Integer, nullable=False),
)

lot = Table(
    "lot",
    metadata,
    Column("lot_id", Text, primary_key=True),
    Column("material_id", Text, nullable=False),
    Column("supplier", Text),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("received", Numeric, nullable=False),
    Column("adjusted", Numeric, nullable=False, server_default="0"),
    Column("consumed", Numeric, nullable=False, server_default="0"),
    Column("on_hand", Numeric, nullable=False),
    Column("reserved", Numeric, nullable=False, server_default="0"),
    Column("quarantined", Boolean, nullable=False, server_default="false"),
    Column("hold_reason", Text),
    # The nonconformance that put the lot on hold (0002): its disposition may release it.
    Column("hold_ncr_id", Text, index=True),
    Column("version", Integer, nullable=False),
    CheckConstraint("on_hand = received + adjusted - consumed", name="balance"),
    CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
    CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
    CheckConstraint("NOT quarantined OR reserved = 0", name="quarantined_not_reserved"),
    Index("ix_lot_material_fifo", "material_id", "received_at", "lot_id"),
)

reservation = Table(
    "reservation",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("operation_seq", Integer, primary_key=True),
    Column("material_id", Text, primary_key=True),
    Column("lot_id", Text, primary_key=True),
    Column("quantity", Numeric, nullable=False),
    CheckConstraint("quantity > 0", name="positive"),
    Index("ix_reservation_lot", "lot_id"),
)

order_material = Table(
    "order_material",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("operation_seq", Integer, primary_key=True),
    Column("material_id", Text, primary_key=True),
    Column("reserved", Numeric, nullable=False, server_default="0"),
    Column("consumed", Numeric, nullable=False, server_default="0"),
    CheckConstraint("reserved >= 0 AND consumed >= 0", name="not_negative"),
)

consumption = Table(
    "consumption",
    metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("lot_id", Text, nullable=False),
    Column("material_id", Text, nullable=False),
    Column("order_id", Text, nullable=False),
    Column("operation_seq", Integer, nullable=False),
    Column("job_id", Text),
    Column("quantity", Numeric, nullable=False),
    Column("consumed_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("quantity > 0", name="positive"),
    Index("ix_consumption_lot", "lot_id", "consumed_at"),
    Index("ix_consumption_order", "order_id"),
)

demand = Table(
    "demand",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
)

requirement = Table(
    "requirement",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("operation_seq", Integer, primary_key=True),
    Column("material_id", Text, primary_key=True),
    Column("quantity_per_unit", Numeric, nullable=False),
    Column("required", Numeric, nullable=False),
    # Consumption a finished job asked for but no usable stock could cover (reported).
    Column("unbackflushed", Numeric, nullable=False, server_default="0"),
    Index("ix_requirement_material", "material_id"),
)

pending_job = Table(
    "pending_job",
    metadata,
    # A job completion seen before its order (0003): backflushed when the order arrives.
    Column("job_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False, index=True),
    Column("operation_seq", Integer, nullable=False),
    Column("pieces", Integer, nullable=False),
)

receipt_request = Table(
    "receipt_request",
    metadata,
    # Idempotency-Key of POST /receipts: the same key and body return the first answer.
    Column("idempotency_key", Text, primary_key=True),
    Column("request_hash", Text, nullable=False),
    Column("response", JSONB, nullable=False),
)

STOCK_TABLES = (material, lot, reservation, order_material, consumption)
