"""Fixtures of the orders tests: a migrated database per module and the app under test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mes_events.db import drop_database
from mes_events.service import Role
from mes_events.settings import KafkaSettings
from mes_events.testing.plugin import fresh_database
from mes_orders.entrypoints.api.app import MIGRATIONS
from mes_orders.testing import Api, running


@pytest.fixture(scope="module")
async def orders_db(pg_server_url: str) -> AsyncIterator[str]:
    url = await fresh_database(pg_server_url, "t_orders", MIGRATIONS)
    yield url
    await drop_database(pg_server_url, url.rsplit("/", 1)[-1].split("?")[0])


@pytest.fixture(scope="module")
async def api(orders_db: str) -> AsyncIterator[Api]:
    """The API alone (no relay or consumer, so no broker): request/response behaviour."""
    async for a in running(orders_db, KafkaSettings(), frozenset({Role.API})):
        yield a
