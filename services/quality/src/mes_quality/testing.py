"""Helpers for the quality tests: a hand-moved clock, foreign events, reactions, bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from mes_events.catalog.common import Characteristic, InspectionSpec, RoutingOperation
from mes_events.catalog.orders import OrderReceived
from mes_events.catalog.scheduler import JobCompleted
from mes_events.envelope import EventEnvelope
from mes_events.store import retry_on_conflict
from mes_events.testing.events import Foreign as ForeignStreams
from mes_quality.application.context import Quality
from mes_quality.consumers.reactions import subscription

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """A clock tests move by hand."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Foreign(ForeignStreams):
    """Another service's streams (mes_events.testing.events.Foreign), dated T0 by default."""

    at: datetime | None = T0


async def react(q: Quality, *envelopes: EventEnvelope) -> None:
    """Apply foreign events as the consumer does: the handler inside one transaction."""
    handler = subscription(q).handler

    async def attempt() -> None:
        async with q.uow.transaction() as conn:
            for env in envelopes:
                await handler(conn, env)

    await retry_on_conflict(attempt)


DIAMETER = Characteristic(
    name="diameter",
    nominal=Decimal("10.00"),
    lower=Decimal("9.98"),
    upper=Decimal("10.02"),
    unit="mm",
)
LENGTH = Characteristic(
    name="length", nominal=Decimal(50), lower=Decimal("49.9"), upper=Decimal("50.1"), unit="mm"
)


def order(
    order_id: str,
    *,
    product: str = "SHAFT-10",
    sample_size: int = 3,
    characteristics: tuple[Characteristic, ...] = (DIAMETER, LENGTH),
) -> OrderReceived:
    """An order whose operation 20 (grind) is inspected; operation 10 (turn) is not."""
    spec = InspectionSpec(characteristics=characteristics, sample_size=sample_size)
    return OrderReceived(
        order_id=order_id,
        external_ref=f"ERP-{order_id}",
        customer="ACME",
        product=product,
        quantity=100,
        due_at=T0 + timedelta(days=5),
        priority=2,
        routing=(
            RoutingOperation(seq=10, operation="turn", work_center_group="LATHE",
                             setup_minutes=Decimal(30), run_minutes_per_unit=Decimal("1.5")),
            RoutingOperation(seq=20, operation="grind", work_center_group="GRINDER",
                             setup_minutes=Decimal(15), run_minutes_per_unit=Decimal("0.8"),
                             inspection=spec),
        ),
    )  # fmt: skip


def job(
    order_id: str, job_id: str, *, seq: int = 20, good: int = 50, work_center: str = "GRIND-1"
) -> JobCompleted:
    return JobCompleted(
        job_id=job_id,
        order_id=order_id,
        operation_seq=seq,
        work_center_id=work_center,
        good_quantity=good,
        scrap_quantity=0,
        actual_minutes=Decimal(55),
        operator="ann",
        completed_at=T0,
    )


def results(diameter: list[str], length: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A results body: diameters (and lengths, default all nominal) per sampled piece."""
    lengths = length if length is not None else ["50"] * len(diameter)
    return {
        "inspector": "eve",
        "measurements": [
            {"characteristic": "diameter", "values": diameter},
            {"characteristic": "length", "values": lengths},
        ],
        **extra,
    }


async def open_inspection(
    q: Quality,
    client: httpx.AsyncClient,
    order_id: str,
    job_id: str,
    *,
    work_center: str = "GRIND-1",
    **order_args: Any,
) -> str:
    """Feed an order (once) and its inspected job's completion in; the new inspection's id."""
    await react(q, Foreign("mes/orders").envelope(order_id, order(order_id, **order_args)))
    done = job(order_id, job_id, work_center=work_center)
    await react(q, Foreign("mes/scheduler").envelope(job_id, done))
    r = await client.get("/inspections", params={"order_id": order_id, "status": "open"})
    assert r.status_code == 200, r.text
    (found,) = [i for i in r.json()["inspections"] if i["job_id"] == job_id]
    return str(found["inspection_id"])
