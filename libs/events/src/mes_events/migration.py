"""Alembic operations for the event store tables; each service's first migration calls these."""

from __future__ import annotations

from alembic import op

from mes_events.tables import metadata

# Writers NOTIFY this channel after commit (mes_events.uow.Notifier); tailing readers LISTEN.
NOTIFY_CHANNEL = "mes_events"

STORE_TABLES = (
    "stored_event",
    "snapshot",
    "relay_checkpoint",
    "consumer_stream",
    "dead_letter",
    "projection_checkpoint",
)


def upgrade_event_store() -> None:
    """Create the store's tables inside the running Alembic migration."""
    bind = op.get_bind()
    metadata.create_all(bind, tables=[metadata.tables[name] for name in STORE_TABLES])


def upgrade_event_store_traceparent() -> None:
    """Add `stored_event.traceparent` to stores created before it existed.

    A store created since then already has it (`upgrade_event_store` creates the current
    table), hence IF NOT EXISTS: every service's chain runs this once, whenever it was created.
    """
    op.execute("ALTER TABLE stored_event ADD COLUMN IF NOT EXISTS traceparent text")


def downgrade_event_store_traceparent() -> None:
    op.execute("ALTER TABLE stored_event DROP COLUMN IF EXISTS traceparent")


def downgrade_event_store() -> None:
    bind = op.get_bind()
    metadata.drop_all(bind, tables=[metadata.tables[name] for name in STORE_TABLES])
