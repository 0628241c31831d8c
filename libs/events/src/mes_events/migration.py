"""Alembic operations for the event store tables; each service's first migration calls these."""

from __future__ import annotations

from alembic import op

from mes_events.tables import metadata

NOTIFY_CHANNEL = "mes_events"

# A statement-level trigger wakes tailing readers (relay, projections) on commit without an
# extra round trip per append; PostgreSQL folds equal notifications within a transaction.
_NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION mes_notify_stored_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{NOTIFY_CHANNEL}', '');
    RETURN NULL;
END $$
"""
_NOTIFY_TRIGGER = (
    "CREATE TRIGGER stored_event_notify AFTER INSERT ON stored_event"
    " FOR EACH STATEMENT EXECUTE FUNCTION mes_notify_stored_event()"
)

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
    op.execute(_NOTIFY_FUNCTION)
    op.execute(_NOTIFY_TRIGGER)


def downgrade_event_store() -> None:
    bind = op.get_bind()
    op.execute("DROP TRIGGER IF EXISTS stored_event_notify ON stored_event")
    op.execute("DROP FUNCTION IF EXISTS mes_notify_stored_event()")
    metadata.drop_all(bind, tables=[metadata.tables[name] for name in STORE_TABLES])
