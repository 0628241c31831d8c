"""OrderProjected is published for the moves that matter (SCHEDULER_PROJECTION_TOLERANCE_MINUTES):
a few minutes' shift of an order behind a job goes unpublished, its turning late does not."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from mes_events.service import Role
from mes_events.settings import KafkaSettings
from mes_scheduler.testing import T0, Api, Feeder, Foreign, order_received, running
from mes_scheduler.testing import work_center_body as center
from service.plan_checks import plan_events, published_equals_memory

pytestmark = pytest.mark.integration

ORDERS = Foreign("mes/orders")


@pytest.fixture(scope="module")
async def press(scheduler_db: str) -> AsyncIterator[tuple[Api, Feeder]]:
    """One press, always open: A 06:30-07:30 (30 minutes frozen), then B 07:30-08:30 due 08:40."""
    settings: dict[str, Any] = {"projection_tolerance_minutes": 15, "projection_slack_share": 0.1}
    roles = frozenset({Role.API})
    async for api in running(
        scheduler_db, KafkaSettings(), roles, verify_plans=True, improver_enabled=False, **settings
    ):
        feeder = Feeder(api)
        registered = await api.client.post("/work-centers", json=center("P1", "PRESS"))
        assert registered.status_code == 201
        await feeder.own()
        a = order_received("A", (10, "PRESS", 6), due_in_hours=2)
        b = order_received("B", (10, "PRESS", 6), due_in_hours=2 + 40 / 60)
        await feeder.feed(ORDERS.envelope("A", a), ORDERS.envelope("B", b))
        yield api, feeder


async def projected_since(api: Api, count: int) -> dict[str, str]:
    """Order -> lateness of the OrderProjected events after the first `count` plan events."""
    events = (await plan_events(api))[count:]
    return {
        e.data["order_id"]: e.data["lateness_minutes"]
        for e in events
        if e.event_type == "scheduler.OrderProjected"
    }


async def projection(api: Api, order_id: str) -> tuple[str, str]:
    p = (await api.client.get(f"/orders/{order_id}/projection")).json()
    return p["projected_completion_at"], p["lateness_minutes"]


async def test_a_small_shift_is_not_published_but_turning_late_is(
    press: tuple[Api, Feeder],
) -> None:
    api, feeder = press
    assert await projection(api, "B") == ("2026-11-23T08:30:00Z", "-10.00")
    seen = len(await plan_events(api))
    # A starts 5 minutes late: B moves 5 minutes, still on time; only A (the job's order) is
    # published, while the scheduler's own read model shows B's exact new completion.
    api.clock.advance(minutes=35)
    headers = {"Idempotency-Key": "a-start"}
    started = await api.client.post("/jobs/A-10/start", json={"operator": "ann"}, headers=headers)
    assert started.status_code == 200, started.text
    await feeder.own()
    assert await projected_since(api, seen) == {"A": "-25.00"}
    assert await projection(api, "B") == ("2026-11-23T08:35:00Z", "-5.00")
    seen = len(await plan_events(api))
    # A completes 10 minutes over its time: B moves 10 minutes (less than the tolerance) and
    # turns late, which is published.
    api.clock.now = T0 + timedelta(minutes=35 + 60 + 10)
    body = {"good_quantity": 10, "operator": "ann"}
    headers = {"Idempotency-Key": "a-complete"}
    assert (await api.client.post("/jobs/A-10/complete", json=body, headers=headers)).is_success
    await feeder.own()
    assert await projected_since(api, seen) == {"B": "5.00"}
    assert await projection(api, "B") == ("2026-11-23T08:45:00Z", "5.00")
    await published_equals_memory(api)
