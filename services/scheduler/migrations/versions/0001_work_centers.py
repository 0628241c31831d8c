"""The event store and the work center read models.

Revision ID: 0001_work_centers
Revises:
Create Date: 2026-11-21
"""

from alembic import op

from mes_events.migration import downgrade_event_store, upgrade_event_store
from mes_scheduler.adapters import tables

revision = "0001_work_centers"
down_revision = None
branch_labels = None
depends_on = None

TABLES = [tables.work_center, tables.downtime]


def upgrade() -> None:
    upgrade_event_store()
    tables.metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    tables.metadata.drop_all(op.get_bind(), tables=TABLES)
    downgrade_event_store()
