"""Core tables of the scheduler's read models and of the planner's own bookkeeping.

`work_center`, `downtime` and `job` are projections of this service's store
(`projections/floor.py`, applied inline by the write path and rebuildable). The `plan_*`
tables belong to the planner: they mirror the plan it publishes (written in the transaction
that appends each ScheduleRevised) and log the inputs it applied (`plan_input`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from mes_events.tables import NAMING

# Our own MetaData: the library's holds only the store tables, and services never share tables.
metadata = MetaData(naming_convention=NAMING)

work_center = Table(
    "work_center",
    metadata,
    Column("work_center_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("work_center_group", Text, nullable=False, index=True),
    Column("efficiency", Numeric, nullable=False),
    Column("calendar", JSONB),
    Column("status", Text, nullable=False),
    Column("down_reason", Text),
    Column("down_at", DateTime(timezone=True)),
    Column("expected_up_at", DateTime(timezone=True)),
    Column("registered_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
)

downtime = Table(
    "downtime",
    metadata,
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("work_center_id", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("down_at", DateTime(timezone=True), nullable=False),
    Column("expected_up_at", DateTime(timezone=True)),
    Column("up_at", DateTime(timezone=True)),
    Index("ix_downtime_center_down_at", "work_center_id", "down_at"),
)

job = Table(
    "job",
    metadata,
    Column("job_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("work_center_id", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("operator", Text, nullable=False),
    Column("terminal", Text),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("planned_start_at", DateTime(timezone=True)),
    Column("override_by", Text),
    Column("overridden", JSONB, nullable=False, server_default="[]"),
    Column("completed_at", DateTime(timezone=True)),
    Column("completed_by", Text),
    Column("good_quantity", Integer),
    Column("scrap_quantity", Integer),
    Column("actual_minutes", Numeric),
    Column("standard_minutes", Numeric),
    Column("version", Integer, nullable=False),
    Index("ix_job_center_started", "work_center_id", "started_at"),
)

job_request = Table(
    "job_request",
    metadata,
    # Idempotency-Key -> the first answer: a retried start or completion returns it again.
    Column("idempotency_key", Text, primary_key=True),
    Column("request_hash", Text, nullable=False),
    Column("response", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

FLOOR_TABLES = [work_center, downtime, job]

plan_state = Table(
    "plan_state",
    metadata,
    # One row per plan (plant): the time axis's epoch and where the published plan stands.
    Column("plan_id", Text, primary_key=True),
    Column("epoch", DateTime(timezone=True), nullable=False),
    Column("revision", Integer, nullable=False, server_default="0"),
    Column("input_seq", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

plan_input = Table(
    "plan_input",
    metadata,
    # Every input the planner applied, in order, with the minute it was applied at: the tail a
    # restart replays after the latest snapshot. kind: "event", "improvement" or "foreign"
    # (an order of another plant).
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("plan_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("now", BigInteger, nullable=False),
    Column("event_id", UUID(as_uuid=True)),
    Column("event_type", Text),
    Column("schema_version", Integer),
    Column("source", Text),
    Column("stream_id", Text),
    Column("stream_version", Integer),
    Column("occurred_at", DateTime(timezone=True)),
    Column("correlation_id", UUID(as_uuid=True)),
    Column("data", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

plan_operation = Table(
    "plan_operation",
    metadata,
    # The published plan, one row per routing step (job): the Gantt and the dispatch lists.
    Column("job_id", Text, primary_key=True),
    Column("order_id", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("operation", Text, nullable=False),
    Column("work_center_group", Text, nullable=False),
    Column("rework", Boolean, nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("setup_minutes", Numeric, nullable=False),
    Column("run_minutes_per_unit", Numeric, nullable=False),
    Column("status", Text, nullable=False),
    Column("work_center_id", Text),
    Column("start_at", DateTime(timezone=True)),
    Column("end_at", DateTime(timezone=True)),
    Column("late", Boolean, nullable=False),
    Column("material_status", Text, nullable=False),
    Index("ix_plan_operation_center_start", "work_center_id", "start_at"),
    Index("ix_plan_operation_start", "start_at"),
    Index("ix_plan_operation_order", "order_id", "position"),
)

plan_order = Table(
    "plan_order",
    metadata,
    # Order projections: projected completion, lateness and the critical chain.
    Column("order_id", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("reason", Text),
    Column("quantity", Integer, nullable=False),
    Column("planned_quantity", Integer, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("projected_completion_at", DateTime(timezone=True)),
    Column("lateness_minutes", Numeric),
    Column("late", Boolean, nullable=False),
    Column("critical", JSONB, nullable=False),
)

PLAN_TABLES = [plan_state, plan_input, plan_operation, plan_order]
