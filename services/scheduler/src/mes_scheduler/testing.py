"""Test support for the scheduler: a hand-moved clock, the app under test, sample bodies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from mes_events.auth import ADMIN
from mes_events.catalog.common import DEFAULT_PLANT, MaterialRequirement, RoutingOperation
from mes_events.catalog.orders import OrderReceived
from mes_events.envelope import EventEnvelope
from mes_events.service import Role, ServiceRuntime
from mes_events.settings import KafkaSettings
from mes_events.store import START, Cursor
from mes_events.testing.auth import auth_settings, bearer
from mes_events.testing.events import Foreign as ForeignStreams
from mes_scheduler.application.context import Scheduler
from mes_scheduler.application.planner import Planner
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

    @property
    def planner(self) -> Planner:
        planner: Planner = self.app.state.planner
        return planner


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
    config = Settings(database_url=url, kafka=kafka, auth=auth_settings(), **settings)
    app = create_app(roles, settings=config, clock=clock)
    transport = httpx.ASGITransport(app=app)
    manager = bearer(ADMIN, subject="manager")  # every route; test_access.py checks the scopes
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://test", headers=manager) as client,
    ):
        yield Api(client, app, clock)


@dataclass
class Foreign(ForeignStreams):
    """Another service's streams (mes_events.testing.events.Foreign), dated T0 by default."""

    at: datetime | None = T0


@dataclass
class Feeder:
    """Plays the consumer without a broker: foreign envelopes, then our own new events."""

    api: Api
    cursor: Cursor = START

    async def feed(self, *envelopes: EventEnvelope) -> None:
        async with self.api.scheduler.uow.transaction() as conn:
            for env in envelopes:
                await self.api.planner.handle(conn, env)

    async def own(self) -> list[EventEnvelope]:
        """Feed the events our store got since the last call (as the consumer would); returns
        the floor events among them (not the plan's own)."""
        runtime = self.api.runtime
        events: list[EventEnvelope] = []
        while True:
            async with runtime.engine.connect() as conn:
                page = await runtime.store.read_all(conn, self.cursor, limit=10_000)
            self.cursor = page.next
            events += page.events
            if not page.held_back:
                break
            # Another transaction of the server is still open below our rows: look again.
            await asyncio.sleep(0.01)
        await self.feed(*events)
        return [e for e in events if e.stream_type != "plan"]


def order_received(
    order_id: str,
    *steps: tuple[int, str, float],
    quantity: int = 10,
    due_in_hours: float = 48,
    priority: int = 3,
    materials: dict[int, str] | None = None,
    setup: int = 0,
    plant_id: str = DEFAULT_PLANT,
) -> OrderReceived:
    """An order whose routing is (seq, group, run minutes per unit) steps."""
    return OrderReceived(
        order_id=order_id, external_ref=f"ERP-{order_id}", customer="ACME", product="P",
        quantity=quantity, due_at=T0 + timedelta(hours=due_in_hours), priority=priority,
        plant_id=plant_id,
        routing=tuple(
            RoutingOperation(seq=s, operation=f"op{s}", work_center_group=g,
                             setup_minutes=Decimal(setup), run_minutes_per_unit=Decimal(str(r)))
            for s, g, r in steps
        ),
        materials=tuple(
            MaterialRequirement(material_id=m, quantity_per_unit=Decimal(1), operation_seq=s)
            for s, m in (materials or {}).items()
        ),
    )  # fmt: skip
