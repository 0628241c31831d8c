"""The W3C traceparent of each stored event (mes_events.migration).

Revision ID: 0004_traceparent
Revises: 0003_jobs
Create Date: 2026-11-24
"""

from mes_events.migration import (
    downgrade_event_store_traceparent,
    upgrade_event_store_traceparent,
)

revision = "0004_traceparent"
down_revision = "0003_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_event_store_traceparent()


def downgrade() -> None:
    downgrade_event_store_traceparent()
