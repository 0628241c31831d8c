"""The improver under a stream of events: a round's result is carried over the events that
arrived while CP-SAT searched, adopted if still better, published feasible, and replayed to
the same plan after a restart; a worse result never is."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from mes_events.catalog.orders import OrderAmended
from mes_events.db import drop_database
from mes_events.service import Role
from mes_events.settings import KafkaSettings
from mes_events.testing.plugin import fresh_database
from mes_scheduler.application.improver import committed, improve_once, offer
from mes_scheduler.entrypoints.api.app import MIGRATIONS
from mes_scheduler.planning import checker, improver
from mes_scheduler.planning.dispatch import regenerate
from mes_scheduler.planning.objective import score
from mes_scheduler.planning.plan import Draft
from mes_scheduler.planning.result import finish
from mes_scheduler.testing import (
    T0,
    Api,
    Feeder,
    Foreign,
    order_received,
    running,
    two_shifts,
    work_center_body,
)
from service.plan_checks import published_equals_memory

pytestmark = pytest.mark.integration

SETTINGS: dict[str, Any] = {"verify_plans": True, "improver_enabled": False,
                            "improver_seconds": 2.0, "improver_workers": 2}  # fmt: skip
ORDERS = Foreign("mes/orders")


@pytest.fixture
async def plan_db(pg_server_url: str) -> AsyncIterator[str]:
    """A database per test: each starts from the same unimproved plan."""
    url = await fresh_database(pg_server_url, "t_improver", MIGRATIONS)
    yield url
    await drop_database(pg_server_url, url.rsplit("/", 1)[-1].split("?")[0])


@pytest.fixture
async def late(plan_db: str) -> AsyncIterator[tuple[Api, Feeder]]:
    """Four centers, 24 orders of three steps due within hours: much tardiness to win back."""
    async for api in running(plan_db, KafkaSettings(), frozenset({Role.API}), **SETTINGS):
        feeder, rng = Feeder(api), random.Random(9)
        for wc, group in (("A1", "A"), ("A2", "A"), ("B1", "B"), ("B2", "B")):
            body = work_center_body(wc, group, calendar=two_shifts())
            assert (await api.client.post("/work-centers", json=body)).status_code == 201
        await feeder.own()
        for i in range(24):
            steps = [(10 * (k + 1), rng.choice("AB"), rng.choice([1, 2, 3])) for k in range(3)]
            due = rng.choice([1, 2, 3, 5])
            event = order_received(f"L{i:02d}", *steps, due_in_hours=due, priority=1 + i % 5)
            await feeder.feed(ORDERS.envelope(f"L{i:02d}", event))
        yield api, feeder


async def _feed_events(api: Api, feeder: Feeder, count: int, *, offset: int) -> None:
    """Amendments (quantity, due time), job starts and completions: `count` events."""
    rng = random.Random(offset)
    for n in range(offset, offset + count):
        order = f"L{rng.randrange(24):02d}"
        if n % 3 == 2:
            await _start_or_complete(api, n)
            await feeder.own()
        elif n % 3 == 1:
            amended = OrderAmended(order_id=order, due_at=T0 + timedelta(hours=rng.randint(1, 6)))
            await feeder.feed(ORDERS.envelope(order, amended))
        else:
            amended = OrderAmended(order_id=order, quantity=rng.randint(5, 15))
            await feeder.feed(ORDERS.envelope(order, amended))
        api.clock.advance(seconds=5)


async def _start_or_complete(api: Api, n: int) -> None:
    """Complete the job running on A1, or start the one its dispatch list says to start."""
    key = {"Idempotency-Key": f"k-{n}"}
    listed = (await api.client.get("/work-centers/A1/dispatch-list")).json()
    running_job = [item["job_id"] for item in listed if item["status"] == "started"]
    if running_job:
        body = {"good_quantity": 1, "operator": "o"}
        r = await api.client.post(f"/jobs/{running_job[0]}/complete", json=body, headers=key)
    else:
        job = next(item["job_id"] for item in listed if item["action"] == "start")
        r = await api.client.post(f"/jobs/{job}/start", json={"operator": "o"}, headers=key)
    assert r.status_code == 200, r.text


async def _inputs_after(api: Api, seq: int) -> list[str]:
    async with api.runtime.engine.connect() as conn:
        q = text("SELECT kind FROM plan_input WHERE seq > :seq ORDER BY seq")
        return [str(r[0]) for r in await conn.execute(q, {"seq": seq})]


async def test_a_result_is_adopted_over_the_events_that_arrived_since_its_base(
    late: tuple[Api, Feeder],
) -> None:
    api, feeder = late
    planner = api.planner
    base = committed(planner)
    now = max(base.state.now, base.state.axis.minute(api.clock()))
    config = improver.ImproverSettings(time_limit=2.0, workers=2)
    result = await asyncio.to_thread(improver.improve, base.state.plan, now, config)
    assert result.score is not None and result.score.beats(score(base.state.plan))
    await _feed_events(api, feeder, 6, offset=0)
    current = planner.state.plan
    assert current.revision > base.state.plan.revision
    assert await offer(planner, base, result), "carried over the new events and adopted"
    inputs = await _inputs_after(api, base.input_seq)
    assert inputs == ["event"] * (len(inputs) - 1) + ["improvement"] and len(inputs) > 6
    plan = planner.state.plan
    assert checker.check(plan, base=current, now=planner.state.now) == []
    assert score(plan) < score(current)
    await published_equals_memory(api)


async def test_a_background_round_lands_while_events_keep_arriving(
    plan_db: str, late: tuple[Api, Feeder]
) -> None:
    api, feeder = late
    base = committed(api.planner)
    round_ = asyncio.create_task(improve_once(api.planner, 0))
    await asyncio.sleep(0)  # the round takes its base and hands CP-SAT to a thread
    fed = 0
    while not round_.done() and fed < 5:
        # A few events spread over the round (dozens of due-date changes can leave nothing
        # of what the solver won, and rightly nothing is adopted then).
        await _feed_events(api, feeder, 1, offset=100 + fed)
        fed += 1
        await asyncio.sleep(0.1)
    assert fed >= 1
    assert await round_, "adopted although the plan moved on during the round"
    inputs = await _inputs_after(api, base.input_seq)
    assert "improvement" in inputs and inputs.index("improvement") >= 1
    await published_equals_memory(api)
    async for again in running(plan_db, KafkaSettings(), frozenset({Role.API}), **SETTINGS):
        await again.planner.ensure_loaded()
        assert again.planner.state.plan.slots == api.planner.state.plan.slots


async def test_a_worse_result_is_not_adopted_after_the_events_either(
    late: tuple[Api, Feeder],
) -> None:
    api, feeder = late
    planner = api.planner
    base = committed(planner)
    now = max(base.state.now, base.state.axis.minute(api.clock()))
    draft = Draft(base.state.plan, now)
    regenerate(draft, "lpt")  # longest first: far worse for tardiness than what was planned
    worse = finish(draft).plan
    assert score(base.state.plan).beats(score(worse))
    result = improver.ImproveResult(base.state.plan.revision, worse, score(worse), "test", 0.0)
    for i in range(3):
        amended = OrderAmended(order_id=f"L{i:02d}", quantity=7 + i)
        await feeder.feed(ORDERS.envelope(f"L{i:02d}", amended))
    current = planner.state.plan
    assert not await offer(planner, base, result)
    assert planner.state.plan.slots == current.slots
    assert await _inputs_after(api, base.input_seq) == ["event"] * 3
