"""A redefined work center (PUT) re-plans its work, driven as the consumer drives it: a faster
center shortens its operations, a narrower calendar moves them, and every plan passes the
engine's feasibility checker; a new name alone changes no plan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from mes_events.service import Role
from mes_events.settings import KafkaSettings
from mes_scheduler.planning import checker
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
from service.plan_checks import plan_events, published_equals_memory

pytestmark = pytest.mark.integration

ORDERS = Foreign("mes/orders")


@pytest.fixture(scope="module")
async def live(scheduler_db: str) -> AsyncIterator[tuple[Api, Feeder]]:
    roles = frozenset({Role.API})
    async for api in running(scheduler_db, KafkaSettings(), roles, verify_plans=True,
                             improver_enabled=False):  # fmt: skip
        feeder = Feeder(api)
        for wc in ("C1", "C2"):
            body = work_center_body(wc, "CUT", calendar=two_shifts())
            assert (await api.client.post("/work-centers", json=body)).status_code == 201
        await feeder.own()
        for i in range(10):
            order = order_received(f"K{i}", (10, "CUT", 3), due_in_hours=2)
            await feeder.feed(ORDERS.envelope(f"K{i}", order))
        yield api, feeder


def on(api: Api, wc: str) -> dict[str, tuple[int, int]]:
    slots = api.planner.state.plan.slots
    return {op: (s.start, s.end) for op, s in slots.items() if s.work_center == wc}


async def redefine(api: Api, feeder: Feeder, wc: str, **body: object) -> str:
    """PUT the definition, let the planner consume it; the event id."""
    etag = (await api.client.get(f"/work-centers/{wc}")).headers["ETag"]
    r = await api.client.put(f"/work-centers/{wc}", json=body, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    (event,) = await feeder.own()
    assert event.event_type == "scheduler.WorkCenterRedefined"
    return str(event.event_id)


async def test_a_faster_center_runs_its_queue_in_less_time(live: tuple[Api, Feeder]) -> None:
    api, feeder = live
    before = on(api, "C1")
    assert before and all(end - start == 30 for start, end in before.values())
    cause = await redefine(api, feeder, "C1", group="CUT", efficiency="2", calendar=two_shifts())
    assert api.planner.state.plan.center("C1").efficiency == 2.0
    after = on(api, "C1")
    assert all(end - start == 15 for start, end in after.values())
    assert sum(e for _, e in after.values()) < sum(e for _, e in before.values())
    revised = [e.data for e in await plan_events(api) if e.data.get("caused_by") == cause]
    assert revised and revised[0]["reason"] == "repair"
    assert checker.check(api.planner.state.plan) == []
    await published_equals_memory(api)


async def test_a_narrower_calendar_moves_the_work_out_of_the_closed_hours(
    live: tuple[Api, Feeder],
) -> None:
    api, feeder = live
    late_start = {"weekly": [{"day": d, "start": "10:00", "end": "22:00"} for d in ("mon", "tue")]}
    await redefine(api, feeder, "C1", group="CUT", efficiency="2", calendar=late_start)
    opens = api.planner.state.axis.minute(T0 + timedelta(hours=4))
    on_c1 = on(api, "C1")
    assert on_c1, "the late orders still want the faster center once it opens"
    assert all(start >= opens for start, _ in on_c1.values())
    assert len(on(api, "C2")) > len(on_c1)
    assert len(api.planner.state.plan.slots) == 10, "every operation is still planned"
    assert checker.check(api.planner.state.plan) == []
    await published_equals_memory(api)


async def test_a_new_name_alone_changes_no_plan(live: tuple[Api, Feeder]) -> None:
    api, feeder = live
    revision, published = api.planner.state.plan.revision, len(await plan_events(api))
    same = {"weekly": [{"day": d, "start": "10:00", "end": "22:00"} for d in ("mon", "tue")]}
    await redefine(api, feeder, "C1", group="CUT", name="Saw 1", efficiency="2", calendar=same)
    assert api.planner.state.plan.revision == revision
    assert len(await plan_events(api)) == published


async def test_a_restart_replays_the_redefinitions(
    live: tuple[Api, Feeder], scheduler_db: str
) -> None:
    api, _ = live
    before = api.planner.state.plan
    roles = frozenset({Role.API})
    async for again in running(scheduler_db, KafkaSettings(), roles, improver_enabled=False):
        await again.planner.ensure_loaded()
        after = again.planner.state.plan
        assert (after.plant, after.slots, after.revision) == (
            before.plant, before.slots, before.revision)  # fmt: skip
