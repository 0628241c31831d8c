"""The event store and the orders read models.

Revision ID: 0001_orders
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

from mes_events.migration import downgrade_event_store, upgrade_event_store

revision = "0001_orders"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    upgrade_event_store()
    op.create_table(
        "order_summary_v1",
        sa.Column("row_id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("order_id", sa.Text, primary_key=True),
        sa.Column("external_ref", sa.Text, nullable=False),
        sa.Column("request_hash", sa.Text, nullable=False),
        sa.Column("customer", sa.Text, nullable=False),
        sa.Column("product", sa.Text, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("routing", sa.dialects.postgresql.JSONB, nullable=False),
        sa.Column("materials", sa.dialects.postgresql.JSONB, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("projected_completion_at", TS),
        sa.Column("projected_at", TS),
        sa.Column("good_quantity", sa.Integer, nullable=False, server_default="0"),
        sa.Column("scrap_quantity", sa.Integer, nullable=False, server_default="0"),
        sa.Column("completed_at", TS),
        sa.Column("on_time", sa.Boolean),
        sa.Column("cancel_reason", sa.Text),
        sa.PrimaryKeyConstraint("order_id", name="pk_order_summary_v1"),
        sa.UniqueConstraint("row_id", name="uq_order_summary_v1_row_id"),
        sa.UniqueConstraint("external_ref", name="uq_order_summary_v1_external_ref"),
    )
    for column in ("status", "customer", "product", "due_at"):
        op.create_index(f"ix_order_summary_v1_{column}", "order_summary_v1", [column, "row_id"])
    op.create_table(
        "order_operation_v1",
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("good_quantity", sa.Integer, nullable=False, server_default="0"),
        sa.Column("scrap_quantity", sa.Integer, nullable=False, server_default="0"),
        sa.Column("started_at", TS),
        sa.Column("completed_at", TS),
        sa.PrimaryKeyConstraint("order_id", "seq", name="pk_order_operation_v1"),
    )
    op.create_table(
        "order_material_v1",
        sa.Column("order_id", sa.Text, nullable=False),
        sa.Column("material_id", sa.Text, nullable=False),
        sa.Column("reserved_quantity", sa.Numeric, nullable=False, server_default="0"),
        sa.Column("missing_quantity", sa.Numeric, nullable=False, server_default="0"),
        sa.Column("consumed_quantity", sa.Numeric, nullable=False, server_default="0"),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "material_id", name="pk_order_material_v1"),
    )


def downgrade() -> None:
    op.drop_table("order_material_v1")
    op.drop_table("order_operation_v1")
    op.drop_table("order_summary_v1")
    downgrade_event_store()
