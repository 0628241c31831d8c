"""The embedded PostgreSQL of `make up` (and of tests where no server runs) really works."""

from __future__ import annotations

from pathlib import Path

import pytest

from mes_events.db import create_database, make_engine, migrate
from mes_events.embedded import start_embedded_postgres, stop_embedded_postgres
from mes_events.store import EventStore
from mes_events.testing.events import Counted, meta
from mes_events.testing.plugin import STORE_MIGRATIONS

pytestmark = pytest.mark.integration


async def test_embedded_server_starts_migrates_and_keeps_data_across_restart(
    tmp_path: Path,
) -> None:
    data = tmp_path / "pg"
    url = await create_database(start_embedded_postgres(data), "mes_embedded")
    await migrate(url, STORE_MIGRATIONS)
    store = EventStore("mes/test")
    engine = make_engine(url, pool_size=1)
    async with engine.begin() as conn:
        await store.append(conn, "counter-1", 0, [Counted(n=3)], meta())
    await engine.dispose()
    stop_embedded_postgres(data)
    try:
        url = await create_database(start_embedded_postgres(data), "mes_embedded")
        engine = make_engine(url, pool_size=1)
        async with engine.connect() as conn:
            events = await store.read_stream(conn, "counter-1")
        await engine.dispose()
        assert [e.payload() for e in events] == [Counted(n=3)]
    finally:
        stop_embedded_postgres(data)
