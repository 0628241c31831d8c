"""Test support for the scheduler: a hand-moved clock, the app under test, sample bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from mes_events.service import Role, ServiceRuntime
from mes_events.settings import KafkaSettings
from mes_scheduler.application.context import Scheduler
from mes_scheduler.config import Settings
from mes_scheduler.entrypoints.api.app import create_app

# A Monday, 06:00 UTC: the start of the early shift of the sample calendars.
T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Api:
    client: httpx.AsyncClient
    app: FastAPI
    clock: FakeClock = field(default_factory=FakeClock)

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    @property
    def scheduler(self) -> Scheduler:
        sch: Scheduler = self.app.state.scheduler
        return sch


def two_shifts() -> dict[str, Any]:
    """Monday to Friday 06:00-22:00 (UTC), as a calendar body."""
    days = ("mon", "tue", "wed", "thu", "fri")
    return {"weekly": [{"day": d, "start": "06:00", "end": "22:00"} for d in days]}


def work_center_body(wc_id: str, group: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": wc_id, "group": group, "name": f"{group} {wc_id}"}
    body.update(overrides)
    return body


async def running(
    url: str,
    kafka: KafkaSettings,
    roles: frozenset[Role],
    *,
    clock: FakeClock | None = None,
    **settings: Any,
) -> AsyncIterator[Api]:
    """The app with its lifespan (migrations, roles) and a client over ASGI."""
    clock = clock or FakeClock()
    config = Settings(database_url=url, kafka=kafka, **settings)
    app = create_app(roles, settings=config, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield Api(client, app, clock)
