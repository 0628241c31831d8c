"""Alembic environment of the quality service."""

from alembic import context

from mes_events.alembic_env import run_migrations

run_migrations(context)
