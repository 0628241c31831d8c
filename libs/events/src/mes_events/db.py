"""Engines, database creation and Alembic migration helpers (PostgreSQL only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def async_url(url: str) -> URL:
    """`postgresql://…` (or a URL with another driver) as an asyncpg SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql+asyncpg")


def asyncpg_dsn(url: str) -> str:
    """A plain `postgresql://` DSN for asyncpg.connect (keeps `?host=` for Unix sockets)."""
    return async_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 10, **kwargs: Any) -> AsyncEngine:
    """An async engine on asyncpg; JSON goes through orjson."""
    import orjson

    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=False,
        json_serializer=lambda v: orjson.dumps(v).decode(),
        json_deserializer=orjson.loads,
        **kwargs,
    )


def with_database(url: str, database: str) -> str:
    return async_url(url).set(database=database).render_as_string(hide_password=False)


async def create_database(server_url: str, database: str, *, drop_existing: bool = False) -> str:
    """Create `database` on the server of `server_url` (if missing); returns its URL."""
    engine = make_engine(with_database(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            if drop_existing:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        await engine.dispose()
    return with_database(server_url, database)


async def drop_database(server_url: str, database: str) -> None:
    engine = make_engine(with_database(server_url, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        await engine.dispose()


def alembic_upgrade(connection: Connection, script_location: Path, revision: str = "head") -> None:
    """Run `alembic upgrade` on an open (sync-facade) connection, from inside an event loop."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def migrate(url: str, script_location: Path, revision: str = "head") -> None:
    """Apply a service's Alembic migrations to the database at `url`."""
    engine = make_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            # Replicas starting together would race to create the same tables (one of them
            # failing on a duplicate key); the lock makes the others wait and find head.
            await conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('mes.migrate'))"))
            await conn.run_sync(alembic_upgrade, script_location, revision)
    finally:
        await engine.dispose()
