"""The event store tables.

Revision ID: 0001_event_store
Revises:
Create Date: 2026-11-21
"""

from mes_events.migration import downgrade_event_store, upgrade_event_store

revision = "0001_event_store"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_event_store()


def downgrade() -> None:
    downgrade_event_store()
