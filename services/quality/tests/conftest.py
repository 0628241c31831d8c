"""Fixtures: a fresh migrated quality database per module, the write context and the app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mes_events.auth import QUALITY_WRITE
from mes_events.db import drop_database, make_engine
from mes_events.service import Role
from mes_events.store import EventStore
from mes_events.testing.auth import auth_settings, bearer
from mes_events.testing.plugin import fresh_database
from mes_events.uow import UnitOfWork
from mes_quality.application.context import Quality
from mes_quality.config import Settings
from mes_quality.entrypoints.api.app import MIGRATIONS, create_app
from mes_quality.testing import FakeClock


@pytest.fixture(scope="module")
async def db_url(pg_server_url: str) -> AsyncIterator[str]:
    url = await fresh_database(pg_server_url, "t_quality", MIGRATIONS)
    yield url
    await drop_database(pg_server_url, url.rsplit("/", 1)[-1].split("?")[0])


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
async def q(db_url: str, clock: FakeClock) -> AsyncIterator[Quality]:
    """The write context the consumer uses, for feeding foreign events in (testing.react)."""
    engine = make_engine(db_url, pool_size=10)
    uow = UnitOfWork(engine)
    yield Quality(uow, EventStore("mes/quality"), clock)
    await uow.close()
    await engine.dispose()


@pytest.fixture(scope="module")
async def client(db_url: str, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    """The API alone (no relay or consumer, so no broker), on the same database and clock,
    called by an inspector (`quality:write`)."""
    settings = Settings(database_url=db_url, auth=auth_settings())
    app = create_app(frozenset({Role.API}), settings=settings, clock=clock)
    transport = httpx.ASGITransport(app=app)
    inspector = bearer(QUALITY_WRITE, subject="inspector")
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test", headers=inspector) as c,
    ):
        yield c
