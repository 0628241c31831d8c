"""Core tables of the scheduler's read models and of the planner's own bookkeeping.

`work_center`, `downtime` and `job` are projections of this service's store
(`projections/floor.py`, applied inline by the write path and rebuildable). The `plan_*`
tables belong to the planner: they mirror the plan it publishes (written in the transaction
that appends each ScheduleRevised) and log the inputs it applied (`plan_input`).
"""

from __future__ import annotations

from sqlalchemy import (
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

FLOOR_TABLES_V1 = [work_center, downtime]
FLOOR_TABLES = FLOOR_TABLES_V1
