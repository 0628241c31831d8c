"""Remember which nonconformance put a lot on hold, so its disposition can release it.

0001 creates the tables from their current definitions, so a database made after this change
already has the column; `IF NOT EXISTS` brings databases made before it up to date.

Revision ID: 0002_lot_hold_ncr
Revises: 0001_inventory
Create Date: 2026-11-21
"""

from alembic import op

revision = "0002_lot_hold_ncr"
down_revision = "0001_inventory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE lot ADD COLUMN IF NOT EXISTS hold_ncr_id text")
    op.execute("CREATE INDEX IF NOT EXISTS ix_lot_hold_ncr_id ON lot (hold_ncr_id)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_lot_hold_ncr_id")
    op.execute("ALTER TABLE lot DROP COLUMN IF EXISTS hold_ncr_id")
