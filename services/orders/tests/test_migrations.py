"""Alembic makes the schema: upgrade an empty database, downgrade to nothing, upgrade again."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from mes_events.db import create_database, drop_database, make_engine, migrate
from mes_orders.entrypoints.api.app import MIGRATIONS

pytestmark = pytest.mark.integration

TABLES = {
    "stored_event",
    "consumer_stream",
    "order_summary_v1",
    "order_operation_v1",
    "order_material_v1",
}


def downgrade(connection: Connection, script_location: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    command.downgrade(config, "base")


def table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_empty_database_then_downgrade_and_upgrade_again(pg_server_url: str) -> None:
    name = f"t_orders_mig_{uuid.uuid4().hex[:8]}"
    url = await create_database(pg_server_url, name)
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            assert await conn.run_sync(table_names) == set()
        await migrate(url, MIGRATIONS)
        async with engine.connect() as conn:
            assert TABLES <= await conn.run_sync(table_names)
            head = await conn.scalar(text("SELECT version_num FROM alembic_version"))
            assert head == "0003_plant"
        async with engine.begin() as conn:
            await conn.run_sync(downgrade, MIGRATIONS)
        async with engine.connect() as conn:
            assert await conn.run_sync(table_names) <= {"alembic_version"}
        await migrate(url, MIGRATIONS)
        async with engine.connect() as conn:
            assert TABLES <= await conn.run_sync(table_names)
    finally:
        await engine.dispose()
        await drop_database(pg_server_url, name)
