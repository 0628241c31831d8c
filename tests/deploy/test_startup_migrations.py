"""Every replica migrates at start-up: one starting while another migrates waits its turn."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from mes_events.db import asyncpg_dsn, create_database, drop_database, migrate

from .services import ROOT

pytestmark = pytest.mark.integration

MIGRATIONS = ROOT / "services" / "orders" / "migrations"
WAITING = """
    SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
    WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = $1
"""


async def test_a_replica_starting_during_a_migration_waits_for_it(pg_server_url: str) -> None:
    # Two replicas creating the same tables at once: one fails on a duplicate key (seen in 2
    # of 5 runs of 4 processes before migrate() took its lock).
    name = f"t_deploy_mig_{uuid.uuid4().hex[:8]}"
    url = await create_database(pg_server_url, name)
    other_replica = await asyncpg.connect(asyncpg_dsn(url))
    try:
        transaction = other_replica.transaction()
        await transaction.start()
        await other_replica.execute("SELECT pg_advisory_xact_lock(hashtext('mes.migrate'))")
        starting = asyncio.create_task(migrate(url, MIGRATIONS))
        async with asyncio.timeout(30):
            while await other_replica.fetchval(WAITING, name) == 0:
                assert not starting.done(), "migrated without waiting for the other replica"
                await asyncio.sleep(0.02)
        await transaction.commit()
        async with asyncio.timeout(30):
            await starting
        assert await other_replica.fetchval("SELECT count(*) FROM alembic_version") == 1
        assert await other_replica.fetchval("SELECT to_regclass('stored_event') IS NOT NULL")
    finally:
        await other_replica.close()
        await drop_database(pg_server_url, name)
