"""Jobs run on the floor and the idempotency keys of their start / complete requests.

Revision ID: 0003_jobs
Revises: 0002_plan
Create Date: 2026-11-21
"""

from alembic import op

from mes_scheduler.adapters import tables

revision = "0003_jobs"
down_revision = "0002_plan"
branch_labels = None
depends_on = None

TABLES = [tables.job, tables.job_request]


def upgrade() -> None:
    tables.metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    tables.metadata.drop_all(op.get_bind(), tables=TABLES)
