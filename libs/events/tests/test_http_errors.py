"""Which real database errors the HTTP edge answers 503 (out of reach) or 422 (refused value)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine

from mes_events.db import make_engine
from mes_events.http_errors import database_unavailable, unacceptable_value
from mes_events.uow import UnitOfWork

pytestmark = pytest.mark.integration


@pytest.fixture
async def engine(pg_server_url: str) -> AsyncIterator[AsyncEngine]:
    e = make_engine(pg_server_url, pool_size=1)
    yield e
    await e.dispose()


async def failure_of(engine: AsyncEngine, sql: str, **params: object) -> Exception:
    with pytest.raises(Exception) as caught:
        async with engine.connect() as conn:
            await conn.execute(text(sql), params)
    assert isinstance(caught.value, Exception)
    return caught.value


async def test_a_refused_connection_is_unavailable(pg_server_url: str) -> None:
    with socket.socket() as s:  # a port nothing listens on once it is closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = make_url(pg_server_url).set(host="127.0.0.1", port=port)
    nowhere = make_engine(url.render_as_string(hide_password=False), pool_size=1)
    try:
        exc = await failure_of(nowhere, "SELECT 1")
    finally:
        await nowhere.dispose()
    assert database_unavailable(exc) and unacceptable_value(exc) is None


async def test_a_connection_killed_under_a_unit_of_work_is_unavailable(
    engine: AsyncEngine,
) -> None:
    uow = UnitOfWork(engine, size=1)
    try:
        async with uow.transaction() as conn:
            pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        # The unit of work keeps its connection between transactions: kill it while idle.
        killer = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
        try:
            async with killer.connect() as k:
                await k.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        finally:
            await killer.dispose()
        with pytest.raises(Exception) as caught:
            async with uow.transaction() as conn:
                await conn.execute(text("SELECT 1"))
        assert database_unavailable(caught.value), repr(caught.value)
    finally:
        await uow.close()


@pytest.mark.parametrize(
    ("sql", "params"),
    [
        ("SELECT CAST(:v AS text)", {"v": "a\x00b"}),
        ("SELECT CAST(:v AS int4)", {"v": 2**31}),
        ("SELECT CAST(CAST(:v AS text) AS numeric(3, 0))", {"v": "12345"}),
        ("SELECT CAST(CAST(:v AS text) AS uuid)", {"v": "not-a-uuid"}),
    ],
)
async def test_a_value_the_database_refuses_is_the_clients(
    engine: AsyncEngine, sql: str, params: dict[str, object]
) -> None:
    exc = await failure_of(engine, sql, **params)
    refused = unacceptable_value(exc)
    assert refused and not database_unavailable(exc), repr(exc)


async def test_other_database_errors_stay_server_errors(engine: AsyncEngine) -> None:
    for sql in ("SELECT 1 / 0", "SELECT * FROM no_such_table"):
        exc = await failure_of(engine, sql)
        assert not database_unavailable(exc) and unacceptable_value(exc) is None, repr(exc)
