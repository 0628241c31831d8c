"""Fixtures: a fresh migrated inventory database per module and the app (API role)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from mes_events.auth import ADMIN
from mes_events.db import drop_database, make_engine
from mes_events.service import Role
from mes_events.store import EventStore
from mes_events.testing.auth import auth_settings, bearer
from mes_events.testing.plugin import fresh_database
from mes_events.uow import UnitOfWork
from mes_inventory.application.context import Inventory
from mes_inventory.config import Settings
from mes_inventory.entrypoints.api.app import MIGRATIONS, create_app
from mes_inventory.testing import FakeClock


@pytest.fixture(scope="module")
async def db_url(pg_server_url: str) -> AsyncIterator[str]:
    url = await fresh_database(pg_server_url, "t_inventory", MIGRATIONS)
    yield url
    await drop_database(pg_server_url, url.rsplit("/", 1)[-1].split("?")[0])


@pytest.fixture(scope="module")
async def inv(db_url: str) -> AsyncIterator[Inventory]:
    engine = make_engine(db_url, pool_size=20)
    uow = UnitOfWork(engine)
    yield Inventory(uow, EventStore("mes/inventory"), FakeClock())
    await uow.close()
    await engine.dispose()


@pytest.fixture(scope="module")
async def client(db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API, called by a manager (`admin`: every route; test_access.py checks each scope)."""
    settings = Settings(database_url=db_url, auth=auth_settings())
    app = create_app(frozenset({Role.API}), settings=settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=bearer(ADMIN, subject="manager")
        ) as c,
    ):
        yield c
