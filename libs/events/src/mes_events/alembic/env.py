"""Migrations of a database that holds only the event store (library tests, examples)."""

from alembic import context

from mes_events.alembic_env import run_migrations
from mes_events.tables import metadata

run_migrations(context, metadata)
