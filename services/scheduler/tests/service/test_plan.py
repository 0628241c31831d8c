"""The living plan, driven as the consumer drives it (no broker): each event repairs the plan,
and what is published (ScheduleRevised, OrderProjected, the read model) follows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest

from mes_events.catalog.inventory import MaterialReserved, MaterialShortage
from mes_events.catalog.quality import DispositionDecided, Rework, ReworkOperation
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

ORDERS, INVENTORY, QUALITY = Foreign("mes/orders"), Foreign("mes/inventory"), Foreign("mes/quality")


@pytest.fixture(scope="module")
async def live(scheduler_db: str) -> AsyncIterator[tuple[Api, Feeder]]:
    roles = frozenset({Role.API})
    async for api in running(scheduler_db, KafkaSettings(), roles, verify_plans=True,
                             snapshot_every=4, improver_enabled=False):  # fmt: skip
        yield api, Feeder(api)


async def centers(api: Api, feeder: Feeder, *pairs: tuple[str, str]) -> None:
    for wc, group in pairs:
        body = work_center_body(wc, group, calendar=two_shifts())
        assert (await api.client.post("/work-centers", json=body)).status_code == 201
    await feeder.own()


async def test_an_order_received_is_planned_and_projected(live: tuple[Api, Feeder]) -> None:
    api, feeder = live
    await centers(api, feeder, ("L1", "LATHE"), ("M1", "MILL"))
    received = ORDERS.envelope("O1", order_received("O1", (10, "LATHE", 2), (20, "MILL", 3)))
    await feeder.feed(received)
    r = await api.client.get("/schedule", params={"work_center": "M1"})
    assert r.status_code == 200
    assert int(r.headers["X-Plan-Revision"]) >= 1
    # 30 minutes of frozen horizon, then 20 minutes of turning and 30 of milling.
    (mill,) = r.json()
    assert (mill["job_id"], mill["start_at"], mill["end_at"]) == (
        "O1-20", "2026-11-23T06:50:00Z", "2026-11-23T07:20:00Z")  # fmt: skip
    revised, projected = (await plan_events(api))[-2:]
    assert revised.event_type == "scheduler.ScheduleRevised"
    assert revised.data["caused_by"] == str(received.event_id)
    assert {(c["seq"], c["work_center_id"]) for c in revised.data["changed"]} == {
        (10, "L1"), (20, "M1")}  # fmt: skip
    assert projected.event_type == "scheduler.OrderProjected"
    assert projected.data["projected_completion_at"] == "2026-11-23T07:20:00Z"
    assert projected.data["lateness_minutes"] == "-2800.00"
    assert projected.causation_id == received.event_id
    p = (await api.client.get("/orders/O1/projection")).json()
    assert (p["late"], p["lateness_minutes"], p["status"]) == (False, "-2800.00", "planned")
    assert [c["seq"] for c in p["critical"]] == [10, 20]
    await published_equals_memory(api)


async def test_a_machine_down_moves_its_queue_and_late_orders_are_projected_late(
    live: tuple[Api, Feeder],
) -> None:
    api, feeder = live
    await centers(api, feeder, ("S1", "SAW"), ("S2", "SAW"))
    for i in range(4):
        o = f"B{i}"
        await feeder.feed(ORDERS.envelope(o, order_received(o, (10, "SAW", 6), due_in_hours=3)))
    on_s1 = await api.client.get("/schedule", params={"work_center": "S1"})
    before = {o["job_id"]: o for o in on_s1.json()}
    assert before, "the two saws share the four jobs"
    body = {"reason": "blade broke", "expected_minutes": 240}
    assert (await api.client.post("/work-centers/S1/down", json=body)).status_code == 200
    (down,) = await feeder.own()
    after = (await api.client.get("/schedule", params={"work_center": "S1"})).json()
    assert all(o["start_at"] >= "2026-11-23T10:00:00Z" for o in after)
    caused = [e for e in await plan_events(api) if e.causation_id == down.event_id]
    revised = caused[0]
    assert revised.data["caused_by"] == str(down.event_id)
    assert {f"{c['order_id']}-{c['seq']}" for c in revised.data["changed"]} >= set(before)
    late = [e.data for e in caused[1:] if Decimal(e.data["lateness_minutes"]) > 0]
    assert late, "four hours of sawing on one saw make someone late"
    reasons = []
    for e in late:
        p = (await api.client.get(f"/orders/{e['order_id']}/projection")).json()
        assert p["late"] and p["lateness_minutes"] == e["lateness_minutes"]
        reasons.append(p["critical"][0]["reason"])
    assert {r.split(" behind")[0].split(" to work")[0] for r in reasons} <= {
        "queued on S1", "queued on S2", "waits for S1"}, reasons  # fmt: skip
    await published_equals_memory(api)
    api.clock.advance(minutes=30)
    assert (await api.client.post("/work-centers/S1/up")).status_code == 200
    await feeder.own()
    await published_equals_memory(api)


async def test_a_rework_disposition_inserts_the_rework_after_the_inspected_operation(
    live: tuple[Api, Feeder],
) -> None:
    api, feeder = live
    await feeder.feed(
        ORDERS.envelope("R1", order_received("R1", (10, "LATHE", 1), (20, "MILL", 1)))
    )
    deburr = ReworkOperation(operation="deburr", work_center_group="LATHE", minutes=Decimal(15))
    rework = Rework(kind="rework", operations=(deburr,))
    decided = DispositionDecided(
        ncr_id="N1", order_id="R1", operation_seq=10, disposition=rework, decided_by="qa"
    )
    await feeder.feed(QUALITY.envelope("ncr-N1", decided))
    p = (await api.client.get("/orders/R1/projection")).json()
    ops = p["operations"]
    assert [(o["seq"], o["operation"], o["rework"]) for o in ops] == [
        (10, "op10", False), (21, "deburr", True), (20, "op20", False)]  # fmt: skip
    assert ops[0]["end_at"] <= ops[1]["start_at"] and ops[1]["end_at"] <= ops[2]["start_at"]
    minutes = (ops[1]["end_at"], ops[1]["start_at"])
    assert minutes[0] > minutes[1]
    await published_equals_memory(api)


async def test_short_material_holds_the_operation_until_it_arrives(
    live: tuple[Api, Feeder],
) -> None:
    api, feeder = live
    await centers(api, feeder, ("D1", "DRILL"))
    order = order_received("MAT1", (10, "DRILL", 1), materials={10: "STEEL"})
    await feeder.feed(ORDERS.envelope("MAT1", order))
    short = MaterialShortage(
        material_id="STEEL",
        order_id="MAT1",
        operation_seq=10,
        required_quantity=Decimal(10),
        missing_quantity=Decimal(4),
    )
    await feeder.feed(INVENTORY.envelope("material-STEEL", short, T0))
    (item,) = (await api.client.get("/work-centers/D1/dispatch-list")).json()
    assert (item["material_status"], item["action"]) == ("short", "wait: material short")
    assert item["start_at"] >= (api.clock.now + timedelta(days=1)).isoformat().replace(
        "+00:00", "Z"
    )
    # The reservation that completes the material arrives on a lot stream, later.
    arrived = MaterialReserved(
        lot_id="LOT9",
        material_id="STEEL",
        order_id="MAT1",
        operation_seq=10,
        quantity=Decimal(4),
        missing_quantity=Decimal(0),
    )
    await feeder.feed(INVENTORY.envelope("lot-LOT9", arrived, T0 + timedelta(minutes=5)))
    (item,) = (await api.client.get("/work-centers/D1/dispatch-list")).json()
    assert (item["material_status"], item["action"]) == ("reserved", "start")
    assert item["start_at"] < (api.clock.now + timedelta(hours=2)).isoformat()
    # A stale shortage (older than the reservation) that arrives late changes nothing.
    await feeder.feed(INVENTORY.envelope("material-STEEL", short, T0))
    (item,) = (await api.client.get("/work-centers/D1/dispatch-list")).json()
    assert item["material_status"] == "reserved"
    await published_equals_memory(api)


async def test_an_order_for_a_group_without_centers_waits_for_one(
    live: tuple[Api, Feeder],
) -> None:
    api, feeder = live
    await feeder.feed(ORDERS.envelope("G1", order_received("G1", (10, "GRIND", 1))))
    p = (await api.client.get("/orders/G1/projection")).json()
    assert (p["status"], p["reason"]) == ("unplanned", "no work center in group GRIND")
    await centers(api, feeder, ("GR1", "GRIND"))
    p = (await api.client.get("/orders/G1/projection")).json()
    assert p["status"] == "planned" and p["projected_completion_at"] is not None
    assert p["operations"][0]["work_center_id"] == "GR1"
    await published_equals_memory(api)


async def test_unknown_ids_are_404(live: tuple[Api, Feeder]) -> None:
    api, _ = live
    assert (await api.client.get("/orders/NOPE/projection")).status_code == 404
    assert (await api.client.get("/work-centers/NOPE/dispatch-list")).status_code == 404
    assert (await api.client.get("/schedule", params={"from": "yesterday"})).status_code == 422
