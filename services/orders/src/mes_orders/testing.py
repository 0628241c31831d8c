"""Test support for the orders service: a hand-moved clock, the app under test, bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from mes_events.auth import ORDERS_WRITE
from mes_events.service import Role, ServiceRuntime
from mes_events.settings import KafkaSettings
from mes_events.testing.auth import auth_settings, bearer
from mes_orders.config import Settings
from mes_orders.entrypoints.api.app import create_app

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


def order_body(ref: str, **overrides: Any) -> dict[str, Any]:
    """A valid create-order body; keyword arguments replace top-level fields."""
    body: dict[str, Any] = {
        "external_ref": ref,
        "customer": "ACME",
        "product": "BRACKET-7",
        "quantity": 10,
        "due_date": "2026-12-01T12:00:00Z",
        "priority": 2,
        "routing": [
            {
                "seq": 10,
                "operation": "cut",
                "work_center_group": "SAW",
                "setup_minutes": 15,
                "run_minutes_per_unit": "1.5",
            },
            {
                "seq": 20,
                "operation": "mill",
                "work_center_group": "CNC",
                "setup_minutes": 30,
                "run_minutes_per_unit": 4,
                "inspection": {
                    "characteristics": [
                        {
                            "name": "bore",
                            "nominal": "12.00",
                            "lower": "11.98",
                            "upper": "12.02",
                            "unit": "mm",
                        }
                    ],
                    "sample_size": 3,
                },
            },
        ],
        "materials": [
            {"material_id": "STEEL-BAR", "quantity_per_unit": "0.25", "operation_seq": 10}
        ],
    }
    body.update(overrides)
    return body


async def running(url: str, kafka: KafkaSettings, roles: frozenset[Role]) -> AsyncIterator[Api]:
    """The app with its lifespan (migrations, roles) and a client over ASGI, signed in as the
    ERP integration (`orders:write`)."""
    clock = FakeClock()
    settings = Settings(database_url=url, kafka=kafka, auth=auth_settings())
    app = create_app(roles, settings=settings, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=bearer(ORDERS_WRITE, subject="erp")
        ) as client,
    ):
        yield Api(client, app, clock)
