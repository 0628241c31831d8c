"""Core tables of the quality read models and of the state kept from other services' events.

`inspection_v1`, `measurement_v1` and `ncr_v1` are a projection of this service's own store
(`projections/board.py`), applied inline by the write path and rebuildable. `order_plan`,
`operation_plan` and `pending_job` are consumer state from mes.orders and mes.scheduler
(tracked by `consumer_stream`); `request_key` remembers answers to Idempotency-Keys.
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    BigInteger,
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

metadata = MetaData(naming_convention=NAMING)

inspection_v1 = Table(
    "inspection_v1",
    metadata,
    Column("inspection_id", Text, primary_key=True),
    # Store position of the request: the list order and the paging cursor (same on rebuild).
    Column("position", BigInteger, nullable=False, unique=True),
    Column("order_id", Text, nullable=False, index=True),
    Column("operation_seq", Integer, nullable=False),
    Column("job_id", Text),
    Column("product", Text),
    Column("work_center_id", Text),
    Column("batch_quantity", Integer),
    Column("sample_size", Integer, nullable=False),
    Column("characteristics", JSONB, nullable=False),
    Column("status", Text, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("inspector", Text),
    Column("inspected_at", DateTime(timezone=True)),
    Column("result_position", BigInteger),
    Column("measurements", JSONB),
    Column("failed_characteristics", ARRAY(Text)),
    Column("failed_count", Integer),
    Column("defect_codes", ARRAY(Text)),
    Column("ncr_id", Text),
    Column("version", Integer, nullable=False),
    CheckConstraint("status IN ('open', 'passed', 'failed')", name="status"),
    Index("ix_inspection_v1_open", "status", "work_center_id", "position"),
    Index("ix_inspection_v1_product", "product", "work_center_id"),
)

measurement_v1 = Table(
    "measurement_v1",
    metadata,
    Column("inspection_id", Text, primary_key=True),
    Column("characteristic", Text, primary_key=True),
    Column("sample", Integer, primary_key=True),
    Column("value", Numeric, nullable=False),
    Column("product", Text),
    Column("operation_seq", Integer, nullable=False),
    Column("inspected_at", DateTime(timezone=True), nullable=False),
    Column("result_position", BigInteger, nullable=False),
    Index("ix_measurement_v1_series", "product", "characteristic", "inspected_at"),
)

ncr_v1 = Table(
    "ncr_v1",
    metadata,
    Column("ncr_id", Text, primary_key=True),
    Column("position", BigInteger, nullable=False, unique=True),
    Column("order_id", Text, nullable=False, index=True),
    Column("operation_seq", Integer, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("defect_code", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("inspection_id", Text),
    Column("lot_id", Text),
    Column("status", Text, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("disposition", JSONB),
    Column("decided_by", Text),
    Column("decided_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
    CheckConstraint("status IN ('open', 'dispositioned')", name="status"),
    Index("ix_ncr_v1_status", "status", "position"),
)

order_plan = Table(
    "order_plan",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("product", Text, nullable=False),
    Column("operations", ARRAY(Integer), nullable=False),
)

operation_plan = Table(
    "operation_plan",
    metadata,
    Column("order_id", Text, primary_key=True),
    Column("operation_seq", Integer, primary_key=True),
    Column("spec", JSONB, nullable=False),
)

pending_job = Table(
    "pending_job",
    metadata,
    # A JobCompleted seen before its order's OrderReceived: judged when the order arrives.
    Column("job_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False, index=True),
    Column("job", JSONB, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("correlation_id", UUID(as_uuid=True), nullable=False),
)

request_key = Table(
    "request_key",
    metadata,
    # Idempotency-Key of the POST endpoints: the same key and request return the first answer.
    Column("idempotency_key", Text, primary_key=True),
    Column("scope", Text, nullable=False),
    Column("request_hash", Text, nullable=False),
    Column("response", JSONB, nullable=False),
)

BOARD_TABLES = (inspection_v1, measurement_v1, ncr_v1)
