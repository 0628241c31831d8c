"""After a restart the plan is rebuilt from the store (snapshot + logged tail, or the whole log)
and is identical to the plan before, improvements included."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text

from mes_events.service import Role
from mes_events.settings import KafkaSettings
from mes_scheduler.application.improver import improve_once
from mes_scheduler.domain.plan_state import PlanState
from mes_scheduler.testing import (
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
                            "snapshot_every": 5, "improver_seconds": 1.0}  # fmt: skip


def fingerprint(state: PlanState) -> tuple[Any, ...]:
    p = state.plan
    return (
        p.plant, dict(p.orders), dict(p.operations), dict(p.routing), dict(p.sequences),
        dict(p.slots), dict(p.started), p.revision, dict(p.last_family),
        state.axis, state.now, state.orders, state.material, state.done, state.projected,
        state.foreign,
    )  # fmt: skip


async def restarted(url: str) -> AsyncIterator[Api]:
    async for api in running(url, KafkaSettings(), frozenset({Role.API}), **SETTINGS):
        await api.planner.ensure_loaded()
        yield api


@pytest.fixture(scope="module")
async def busy(scheduler_db: str) -> AsyncIterator[Api]:
    """A plant with a day's worth of late-ish work, some of it done, a breakdown, improvements."""
    async for api in running(scheduler_db, KafkaSettings(), frozenset({Role.API}), **SETTINGS):
        feeder, orders, rng = Feeder(api), Foreign("mes/orders"), random.Random(5)
        for wc, group in (("A1", "A"), ("A2", "A"), ("B1", "B"), ("B2", "B")):
            body = work_center_body(wc, group, calendar=two_shifts())
            assert (await api.client.post("/work-centers", json=body)).status_code == 201
        await feeder.own()
        for i in range(14):
            steps = [(10 * (k + 1), rng.choice("AB"), rng.choice([1, 2, 3])) for k in range(3)]
            o = f"R{i:02d}"
            env = orders.envelope(o, order_received(o, *steps, due_in_hours=rng.choice([2, 5, 9])))
            await feeder.feed(env)
        key = {"Idempotency-Key": "k-start"}
        first = (await api.client.get("/work-centers/A1/dispatch-list")).json()[0]["job_id"]
        r = await api.client.post(f"/jobs/{first}/start", json={"operator": "ann"}, headers=key)
        assert r.status_code == 200, r.text
        api.clock.advance(minutes=20)
        body = {"good_quantity": 10, "operator": "ann"}
        key = {"Idempotency-Key": "k-done"}
        assert (await api.client.post(f"/jobs/{first}/complete", json=body, headers=key)).is_success
        down = {"reason": "hydraulics", "expected_minutes": 120}
        assert (await api.client.post("/work-centers/B1/down", json=down)).status_code == 200
        await feeder.own()
        for round_index in range(3):
            api.clock.advance(minutes=1)
            await improve_once(api.planner, round_index)
        yield api


async def test_restart_rebuilds_an_identical_plan(scheduler_db: str, busy: Api) -> None:
    before = fingerprint(busy.planner.state)
    async with busy.runtime.engine.connect() as conn:
        q = text("SELECT kind, count(*) FROM plan_input GROUP BY kind")
        kinds = {str(row[0]): int(row[1]) for row in await conn.execute(q)}
        snapshots = (await conn.execute(text("SELECT count(*) FROM snapshot"))).scalar()
    assert kinds["event"] > 15 and snapshots == 1
    async for again in restarted(scheduler_db):
        assert fingerprint(again.planner.state) == before
        await published_equals_memory(again)


async def test_without_a_snapshot_the_whole_log_replays_to_the_same_plan(
    scheduler_db: str, busy: Api
) -> None:
    before = fingerprint(busy.planner.state)
    async with busy.runtime.engine.begin() as conn:
        await conn.execute(text("DELETE FROM snapshot"))
    async for again in restarted(scheduler_db):
        assert fingerprint(again.planner.state) == before


async def test_improvements_are_published_and_replayed(busy: Api) -> None:
    async with busy.runtime.engine.connect() as conn:
        improvements = (await conn.execute(text(
            "SELECT count(*) FROM plan_input WHERE kind = 'improvement'"))).scalar()  # fmt: skip
        revised = (await conn.execute(text(
            "SELECT count(*) FROM stored_event WHERE event_type = 'scheduler.ScheduleRevised'"
            " AND data->>'reason' = 'optimization'"))).scalar()  # fmt: skip
    assert improvements == revised
    assert improvements, "three CP-SAT rounds on a late plan improve it at least once"
