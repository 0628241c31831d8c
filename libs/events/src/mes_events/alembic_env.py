"""The body of every service's Alembic env.py: online migrations on asyncpg."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from mes_events.db import make_engine


def run_migrations(context: Any, target_metadata: MetaData | None = None) -> None:
    """Migrate the connection handed in by `mes_events.db.migrate`, or `sqlalchemy.url`."""
    config = context.config

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()

    connection = config.attributes.get("connection")
    if connection is not None:
        do_run(connection)
        return

    async def run_async() -> None:
        engine = make_engine(config.get_main_option("sqlalchemy.url"), pool_size=1)
        async with engine.begin() as conn:
            await conn.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())
