"""Each order names the plant that makes it (OrderReceived v2 `plant_id`).

Revision ID: 0003_plant
Revises: 0002_traceparent
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_plant"
down_revision = "0002_traceparent"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Orders received before plants belong to the default plant, as their events upcast.
    op.add_column(
        "order_summary_v1",
        sa.Column("plant_id", sa.Text, nullable=False, server_default="default"),
    )


def downgrade() -> None:
    op.drop_column("order_summary_v1", "plant_id")
