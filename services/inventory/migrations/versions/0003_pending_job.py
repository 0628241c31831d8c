"""Job completions that arrived before their order (a replay reads topics interleaved).

Revision ID: 0003_pending_job
Revises: 0002_lot_hold_ncr
Create Date: 2026-11-21
"""

from alembic import op

revision = "0003_pending_job"
down_revision = "0002_lot_hold_ncr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF NOT EXISTS: 0001 creates tables from their current definitions (see 0002).
    op.execute(
        """
        CREATE TABLE IF NOT EXISTS pending_job (
            job_id text PRIMARY KEY,
            order_id text NOT NULL,
            operation_seq integer NOT NULL,
            pieces integer NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX IF NOT EXISTS ix_pending_job_order_id ON pending_job (order_id)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS pending_job")
