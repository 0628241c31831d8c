"""The event store and the quality read models.

Revision ID: 0001_quality
Revises:
Create Date: 2026-11-22
"""

from alembic import op

from mes_events.migration import downgrade_event_store, upgrade_event_store
from mes_quality.adapters import tables

revision = "0001_quality"
down_revision = None
branch_labels = None
depends_on = None

# Created from the current definitions: freeze this list (and copy the definitions here)
# before changing a table, and change it in a new migration.
TABLES = [
    tables.inspection_v1,
    tables.measurement_v1,
    tables.ncr_v1,
    tables.order_plan,
    tables.operation_plan,
    tables.pending_job,
    tables.request_key,
]


def upgrade() -> None:
    upgrade_event_store()
    tables.metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    tables.metadata.drop_all(op.get_bind(), tables=TABLES)
    downgrade_event_store()
