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


def downgrade_event_store() -> None:
    bind = op.get_bind()
    metadata.drop_all(bind, tables=[metadata.tables[name] for name in STORE_TABLES])
