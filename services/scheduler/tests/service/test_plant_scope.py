"""One plant's planner among several (driven as the consumer drives it, no broker): events of
other plants' orders and of other plants' schedulers change nothing and publish nothing, and a
restart remembers which orders are not ours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from mes_events.catalog.inventory import MaterialReserved
from mes_events.catalog.orders import OrderAmended, OrderCancelled
from mes_events.catalog.quality import DispositionDecided, Scrap
from mes_events.catalog.scheduler import JobStarted, WorkCenterDown, WorkCenterRegistered
from mes_events.service import Role
from mes_events.settings import KafkaSettings
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

SETTINGS: dict[str, Any] = {"plant_id": "north", "verify_plans": True, "improver_enabled": False}
ORDERS, INVENTORY, QUALITY = Foreign("mes/orders"), Foreign("mes/inventory"), Foreign("mes/quality")
SOUTH = Foreign("mes/plants/south/scheduler")


@pytest.fixture(scope="module")
async def north(scheduler_db: str) -> AsyncIterator[tuple[Api, Feeder]]:
    async for api in running(scheduler_db, KafkaSettings(), frozenset({Role.API}), **SETTINGS):
        yield api, Feeder(api)


def reserved(order_id: str, lot: str) -> MaterialReserved:
    return MaterialReserved(
        lot_id=lot,
        material_id="STEEL",
        order_id=order_id,
        operation_seq=10,
        quantity=Decimal(5),
        missing_quantity=Decimal(0),
    )


async def test_other_plants_orders_and_floor_events_are_left_out(
    north: tuple[Api, Feeder],
) -> None:
    api, feeder = north
    for wc, group in (("SAW-1", "SAW"), ("CNC-1", "CNC")):
        body = work_center_body(wc, group, calendar=two_shifts())
        assert (await api.client.post("/work-centers", json=body)).status_code == 201
    (saw, cnc) = await feeder.own()
    assert saw.source == "mes/plants/north/scheduler"
    ours = order_received(
        "N1", (10, "SAW", 2), (20, "CNC", 3), plant_id="north", materials={10: "STEEL"}
    )
    theirs = order_received(
        "S1", (10, "SAW", 2), (20, "CNC", 3), plant_id="south", materials={10: "STEEL"}
    )
    # South's reservation may arrive before its order (another topic): held until we know.
    await feeder.feed(INVENTORY.envelope("lot-L1", reserved("S1", "L1")))
    await feeder.feed(ORDERS.envelope("N1", ours), ORDERS.envelope("S1", theirs))
    state = api.planner.state
    assert set(state.plan.orders) == {"N1"}
    assert state.foreign == {"S1"}
    assert [k for k in state.material if k[0] == "S1"] == []
    published = len(await plan_events(api))
    revision = state.plan.revision

    # South's scheduler shares mes.scheduler and names its centers like ours.
    south_down = WorkCenterDown(
        work_center_id="CNC-1",
        reason="south's spindle",
        down_at=T0,
        expected_up_at=T0 + timedelta(hours=8),
    )
    south_center = WorkCenterRegistered(
        work_center_id="CNC-1", name="", work_center_group="MILL", plant_id="south"
    )
    south_job = JobStarted(
        job_id="S1-10",
        order_id="S1",
        operation_seq=10,
        work_center_id="SAW-1",
        operator="bob",
        started_at=T0,
    )
    scrap = DispositionDecided(
        ncr_id="N9",
        order_id="S1",
        operation_seq=10,
        disposition=Scrap(kind="scrap", quantity=2),
        decided_by="qa",
    )
    await feeder.feed(
        SOUTH.envelope("work-center-CNC-1", south_center),
        SOUTH.envelope("work-center-CNC-1", south_down),
        SOUTH.envelope("job-S1-10", south_job),
        INVENTORY.envelope("lot-L2", reserved("S1", "L2")),
        ORDERS.envelope("S1", OrderAmended(order_id="S1", quantity=40)),
        QUALITY.envelope("ncr-N9", scrap),
        ORDERS.envelope("S1", OrderCancelled(order_id="S1", reason="south's")),
    )
    state = api.planner.state
    assert len(await plan_events(api)) == published
    assert state.plan.revision == revision
    assert set(state.plan.orders) == {"N1"} and "S1" not in state.orders
    assert [k for k in state.material if k[0] == "S1"] == []
    assert [wc.id for wc in state.plan.plant.work_centers] == ["SAW-1", "CNC-1"]
    assert state.plan.center("CNC-1").calendar.downtime == ()
    # Our own events about our order still count.
    await feeder.feed(ORDERS.envelope("N1", OrderAmended(order_id="N1", quantity=20)))
    assert api.planner.state.plan.orders["N1"].quantity == 20
    assert len(await plan_events(api)) > published
    await published_equals_memory(api)


async def test_a_restart_remembers_other_plants_orders(
    north: tuple[Api, Feeder], scheduler_db: str
) -> None:
    api, _ = north
    before = api.planner.state
    async for again in running(scheduler_db, KafkaSettings(), frozenset({Role.API}), **SETTINGS):
        await again.planner.ensure_loaded()
        state = again.planner.state
        assert state.foreign == before.foreign == {"S1"}
        assert state.plan.slots == before.plan.slots
        published = len(await plan_events(again))
        await Feeder(again).feed(INVENTORY.envelope("lot-L3", reserved("S1", "L3")))
        assert [k for k in again.planner.state.material if k[0] == "S1"] == []
        assert len(await plan_events(again)) == published
