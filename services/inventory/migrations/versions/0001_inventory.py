"""The event store and the inventory read models.

Revision ID: 0001_inventory
Revises:
Create Date: 2026-11-21
"""

from alembic import op

from mes_events.migration import downgrade_event_store, upgrade_event_store
from mes_inventory.adapters import tables

revision = "0001_inventory"
down_revision = None
branch_labels = None
depends_on = None

# Later migrations create their tables with IF NOT EXISTS, since these come from the current
# definitions. Freeze this list (and copy the definitions here) before changing a table again.
TABLES = [
    tables.material,
    tables.lot,
    tables.reservation,
    tables.order_material,
    tables.consumption,
    tables.demand,
    tables.requirement,
    tables.receipt_request,
]


def upgrade() -> None:
    upgrade_event_store()
    tables.metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    tables.metadata.drop_all(op.get_bind(), tables=TABLES)
    downgrade_event_store()
