"""Fixtures of the scheduler service tests: a migrated database per module, the API alone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mes_events.db import drop_database
from mes_events.service import Role
from mes_events.settings import KafkaSettings
from mes_events.testing.plugin import fresh_database
from mes_scheduler.entrypoints.api.app import MIGRATIONS
from mes_scheduler.testing import Api, running


@pytest.fixture(scope="module")
async def scheduler_db(pg_server_url: str) -> AsyncIterator[str]:
    url = await fresh_database(pg_server_url, "t_scheduler", MIGRATIONS)
    yield url
    await drop_database(pg_server_url, url.rsplit("/", 1)[-1].split("?")[0])


@pytest.fixture(scope="module")
async def api(scheduler_db: str) -> AsyncIterator[Api]:
    """The API alone (no relay or consumer, so no broker): request/response behaviour."""
    async for a in running(scheduler_db, KafkaSettings(), frozenset({Role.API})):
        yield a
