"""Database unavailable: 503 with Retry-After while it is gone, nothing half-written, recovery
without a restart.

Each service reaches the shared PostgreSQL server through a loopback proxy (`TcpProxy`) that
the test cuts and restores; the server itself keeps running for every other test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url, text

from mes_events.auth import ADMIN
from mes_events.db import drop_database, make_engine
from mes_events.http_errors import RETRY_AFTER_S
from mes_events.testing.auth import bearer
from mes_events.testing.plugin import fresh_database
from mes_orders.testing import order_body

from .apps import SERVICES
from .tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

RECOVERY_TIMEOUT_S = 20.0


def _material(ref: str) -> dict[str, Any]:
    return {"material_id": ref, "description": "bar stock", "unit": "kg"}


def _work_center(ref: str) -> dict[str, Any]:
    return {"id": ref, "group": "SAW", "name": "saw"}


def _ncr(ref: str) -> dict[str, Any]:
    return {
        "order_id": ref,
        "operation_seq": 10,
        "quantity": 1,
        "defect_code": "SCRATCH",
        "description": "scratched face",
    }


# Per service: a list to read; a create to write (path, body for a fresh reference) and its
# answer once the database is back. Quality answers 422 for an order no event told it about,
# which it can only know from its database.
PROBES: dict[str, tuple[str, str, Callable[[str], dict[str, Any]], int]] = {
    "orders": ("/orders", "/orders", lambda ref: order_body(ref), 201),
    "scheduler": ("/work-centers", "/work-centers", _work_center, 201),
    "quality": ("/ncrs", "/ncrs", _ncr, 422),
    "inventory": ("/materials", "/materials", _material, 201),
}


@asynccontextmanager
async def served_through_proxy(
    service: str, pg_server_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, TcpProxy, str]]:
    """The service's API on a fresh database it reaches only through a proxy; the client,
    the proxy and the direct URL of the database (for checks behind the service's back)."""
    direct = await fresh_database(
        pg_server_url, f"t_outage_{service}", SERVICES[service].migrations
    )
    url = make_url(direct)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = SERVICES[service].app(proxied)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://test",
                headers=bearer(ADMIN),
            ) as client,
        ):
            yield client, proxy, direct
    finally:
        await proxy.cut()
        await drop_database(pg_server_url, url.database or "")


def assert_unavailable(r: httpx.Response, what: str) -> None:
    assert r.status_code == 503, f"{what}: {r.status_code} {r.text}"
    assert r.headers["Retry-After"] == str(RETRY_AFTER_S), what
    assert "unavailable" in r.json()["detail"], what


async def wait_ready(client: httpx.AsyncClient) -> float:
    """Seconds until /readyz answers 200 again."""
    started = asyncio.get_running_loop().time()
    async with asyncio.timeout(RECOVERY_TIMEOUT_S):
        while (await client.get("/readyz")).status_code != 200:
            await asyncio.sleep(0.1)
    return asyncio.get_running_loop().time() - started


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_outage_answers_503_then_recovers_without_restart(
    service: str, pg_server_url: str
) -> None:
    read_path, write_path, body, written = PROBES[service]
    async with served_through_proxy(service, pg_server_url) as (client, proxy, _):
        assert (await client.get(read_path)).status_code == 200
        assert (await client.get("/readyz")).status_code == 200

        await proxy.cut()
        # The first request meets a pooled connection that died; later ones a refused connect.
        for attempt in range(3):
            assert_unavailable(await client.get(read_path), f"GET {read_path} #{attempt}")
        ref = f"OUT-{uuid.uuid4().hex[:8]}"
        assert_unavailable(await client.post(write_path, json=body(ref)), f"POST {write_path}")
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and ready.json() == {"status": "database unavailable"}
        assert (await client.get("/healthz")).status_code == 200

        await proxy.start()
        await wait_ready(client)
        assert (await client.get(read_path)).status_code == 200
        assert (await client.post(write_path, json=body(ref))).status_code == written


async def _create(client: httpx.AsyncClient, ref: str) -> int:
    try:
        return (await client.post("/orders", json=order_body(ref))).status_code
    except Exception as exc:  # the in-process transport re-raises what the app did not answer
        raise AssertionError(f"create {ref} raised {exc!r} instead of answering") from exc


_ORPHANS = text(
    """
    SELECT count(*) FROM order_summary_v1 s
    FULL JOIN (SELECT stream_id FROM stored_event WHERE event_type = 'orders.OrderReceived') e
    ON e.stream_id = s.order_id
    WHERE s.order_id IS NULL OR e.stream_id IS NULL
    """
)


async def test_orders_cut_mid_write_leave_no_half_written_order(pg_server_url: str) -> None:
    """Creates in flight when the database goes away: each is whole or absent, and a retry
    under the same reference settles it (201 if it was absent, 200 if it had committed)."""
    async with served_through_proxy("orders", pg_server_url) as (client, proxy, direct):
        # More than two intake groups' worth (up to 32 creates per transaction, 2 at once):
        # with fewer, every create can share the first two groups and be answered before the
        # cut. At most one page of the listing below (100).
        refs = [f"MID-{uuid.uuid4().hex[:8]}" for _ in range(100)]
        writes = [asyncio.create_task(_create(client, ref)) for ref in refs]
        # Cut as the first answer comes back: one group committed, later ones in flight.
        await asyncio.wait(writes, return_when=asyncio.FIRST_COMPLETED)
        await proxy.cut()
        statuses = await asyncio.gather(*writes)
        assert set(statuses) <= {201, 503}, statuses
        assert 201 in statuses and 503 in statuses, statuses

        await proxy.start()
        recovery_s = await wait_ready(client)
        retried = {
            ref: await _create(client, ref)
            for ref, s in zip(refs, statuses, strict=True)
            if s == 503
        }
        assert set(retried.values()) <= {200, 201}, retried

        engine = make_engine(direct, pool_size=1)
        try:
            async with engine.connect() as conn:
                assert (await conn.execute(_ORPHANS)).scalar_one() == 0
                stored = await conn.execute(
                    text("SELECT count(DISTINCT stream_id), count(*) FROM stored_event")
                )
                assert tuple(stored.one()) == (len(refs), len(refs))
        finally:
            await engine.dispose()
        listed = (await client.get("/orders", params={"limit": 100})).json()["items"]
        assert sorted(o["external_ref"] for o in listed) == sorted(refs)
        assert recovery_s < RECOVERY_TIMEOUT_S
