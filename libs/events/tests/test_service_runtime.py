"""The shared service runtime: migrate on start, relay running, health, metrics, error mapping."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text

from mes_events.auth import ADMIN, GuardedRoute
from mes_events.db import create_database, drop_database
from mes_events.errors import NotFound
from mes_events.service import ServiceRuntime, build_app
from mes_events.settings import KafkaSettings, ServiceSettings
from mes_events.store import Metadata
from mes_events.testing.auth import auth_settings, bearer
from mes_events.testing.events import Counted
from mes_events.testing.plugin import STORE_MIGRATIONS

pytestmark = pytest.mark.integration
router = APIRouter(route_class=GuardedRoute)


class AddRequest(BaseModel):
    n: int
    expected_version: int


@router.post("/counters/{counter_id}/add", status_code=201)
async def add(counter_id: str, body: AddRequest, request: Request) -> dict[str, int]:
    runtime: ServiceRuntime = request.app.state.runtime
    meta = Metadata(occurred_at=datetime.now(UTC), correlation_id=uuid.uuid4())
    async with runtime.uow.transaction() as conn:
        await runtime.store.append(
            conn, counter_id, body.expected_version, [Counted(n=body.n)], meta
        )
    return {"version": body.expected_version + 1}


@router.get("/counters/{counter_id}")
async def get(counter_id: str, request: Request) -> dict[str, int]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.engine.connect() as conn:
        events = await runtime.store.read_stream(conn, counter_id)
    if not events:
        raise NotFound(f"counter {counter_id} not found")
    return {"version": len(events)}


@pytest.fixture
async def empty_database_url(pg_server_url: str) -> AsyncIterator[str]:
    """A database with no tables yet (the runtime migrates it), dropped afterwards."""
    name = f"t_runtime_{uuid.uuid4().hex[:8]}"
    yield await create_database(pg_server_url, name)
    await drop_database(pg_server_url, name)


async def test_runtime_migrates_serves_and_relays(
    empty_database_url: str, kafka_settings: KafkaSettings
) -> None:
    url = empty_database_url
    settings = ServiceSettings(
        service="orders", database_url=url, kafka=kafka_settings, auth=auth_settings()
    )
    runtime = ServiceRuntime(settings, STORE_MIGRATIONS)
    app = build_app(runtime, title="counter", routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=bearer(ADMIN)
        ) as client,
    ):
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).json() == {"status": "ready"}
        ok = await client.post("/counters/c-1/add", json={"n": 2, "expected_version": 0})
        assert ok.status_code == 201 and ok.json() == {"version": 1}
        stale = await client.post("/counters/c-1/add", json={"n": 3, "expected_version": 0})
        assert stale.status_code == 409 and "expected version 0" in stale.json()["detail"]
        missing = await client.get("/counters/nope")
        assert missing.status_code == 404 and "nope" in missing.json()["detail"]
        bad = await client.post("/counters/c-1/add", json={"n": "x", "expected_version": 1})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "n"]
        deadline = asyncio.get_running_loop().time() + 30
        while True:  # the relay (started by the lifespan) publishes the appended event
            async with runtime.engine.connect() as conn:
                published = (
                    await conn.execute(
                        text("SELECT coalesce(sum(published), 0) FROM relay_checkpoint")
                    )
                ).scalar_one()
            if published >= 1:
                break
            assert asyncio.get_running_loop().time() < deadline, "relay published nothing"
            await asyncio.sleep(0.2)
        metrics = (await client.get("/metrics")).text
        assert 'mes_relay_published_total{relay="orders"}' in metrics
