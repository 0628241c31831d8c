"""The four domain services in this process on their own databases, for fault injection.

Like `mes_simulator.rest.inprocess.services`, but the databases outlive a start and stop, so
a test can stop the services, inspect or rebuild their state, and start them again. The apps
are built by `apps.SERVICES`, as in the other reliability tests.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from mes_events.db import create_database, drop_database
from mes_events.service import ALL_ROLES, ServiceRuntime
from mes_events.settings import KafkaSettings
from mes_simulator.warp import WarpedClock

from .apps import SERVICES as APPS

SERVICES = ("orders", "inventory", "scheduler", "quality")


@asynccontextmanager
async def databases(
    server_url: str, prefix: str, names: tuple[str, ...] = SERVICES
) -> AsyncIterator[dict[str, str]]:
    """A new database per service (by name), dropped afterwards."""
    urls: dict[str, str] = {}
    try:
        for name in names:
            database = f"{prefix}_{name}_{uuid.uuid4().hex[:8]}"
            urls[name] = await create_database(server_url, database)
        yield urls
    finally:
        for url in urls.values():
            await drop_database(server_url, url.rsplit("/", 1)[-1].split("?")[0])


@dataclass
class Running:
    """One started service: its runtime (store, engine, subscriptions) and an ASGI client."""

    name: str
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime


@asynccontextmanager
async def services(
    urls: dict[str, str], kafka: KafkaSettings, clock: WarpedClock, *, signing_key: str
) -> AsyncIterator[dict[str, Running]]:
    """Each service of `urls` with all its roles (API, relay, consumers, projections)."""
    async with AsyncExitStack() as stack:
        running: dict[str, Running] = {}
        for name in urls:
            app = APPS[name].app(
                urls[name], roles=ALL_ROLES, kafka=kafka, signing_key=signing_key, clock=clock
            )
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(transport=transport, base_url=f"http://{name}", timeout=30)
            running[name] = Running(name, app, await stack.enter_async_context(client))
        yield running
