"""The planner's tables: plan state, input log, published operations and order projections.

Revision ID: 0002_plan
Revises: 0001_work_centers
Create Date: 2026-11-21
"""

from alembic import op

from mes_scheduler.adapters import tables

revision = "0002_plan"
down_revision = "0001_work_centers"
branch_labels = None
depends_on = None

TABLES = [tables.plan_state, tables.plan_input, tables.plan_operation, tables.plan_order]


def upgrade() -> None:
    tables.metadata.create_all(op.get_bind(), tables=TABLES)


def downgrade() -> None:
    tables.metadata.drop_all(op.get_bind(), tables=TABLES)
