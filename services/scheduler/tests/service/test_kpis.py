"""KPIs from what was done: OEE parts, utilisation, adherence, labour per order, bottleneck."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mes_events.service import Role
from mes_events.settings import KafkaSettings
from mes_scheduler.testing import (
    Api,
    Feeder,
    Foreign,
    order_received,
    running,
    two_shifts,
    work_center_body,
)

pytestmark = pytest.mark.integration

ORDERS = Foreign("mes/orders")


@pytest.fixture(scope="module")
async def shift(scheduler_db: str) -> AsyncIterator[Api]:
    """One early shift on K1: a job started on time, 40 minutes for 30 standard, 1 of 10
    scrapped, an hour of breakdown; K2 has a long job planned."""
    roles = frozenset({Role.API})
    async for api in running(
        scheduler_db, KafkaSettings(), roles, improver_enabled=False, verify_plans=True
    ):
        feeder = Feeder(api)
        for wc in ("K1", "K2"):
            body = work_center_body(wc, "K", calendar=two_shifts())
            assert (await api.client.post("/work-centers", json=body)).status_code == 201
        await feeder.own()
        await feeder.feed(ORDERS.envelope("KO1", order_received("KO1", (10, "K", 3))))
        await feeder.feed(ORDERS.envelope("KO2", order_received("KO2", (10, "K", 30))))
        job = "KO1-10"
        planned = {o["job_id"]: o for o in (await api.client.get("/schedule")).json()}
        center = planned[job]["work_center_id"]
        api.clock.advance(minutes=30)
        headers = {"Idempotency-Key": "kpi-start"}
        r = await api.client.post(f"/jobs/{job}/start", json={"operator": "ann"}, headers=headers)
        assert r.status_code == 200, r.text
        api.clock.advance(minutes=40)
        body = {"good_quantity": 9, "scrap_quantity": 1, "operator": "ann"}
        headers = {"Idempotency-Key": "kpi-done"}
        assert (
            await api.client.post(f"/jobs/{job}/complete", json=body, headers=headers)
        ).is_success
        api.clock.advance(minutes=50)  # 08:00
        r = await api.client.post(f"/work-centers/{center}/down", json={"reason": "motor"})
        assert r.status_code == 200
        api.clock.advance(minutes=60)
        assert (await api.client.post(f"/work-centers/{center}/up")).status_code == 200
        await feeder.own()
        api.app.state.kpi_center = center
        yield api


async def test_oee_parts_utilisation_and_adherence(shift: Api) -> None:
    center = shift.app.state.kpi_center
    params = {"from": "2026-11-23T06:00:00Z", "to": "2026-11-23T14:00:00Z"}
    r = await shift.client.get("/kpis", params=params)
    assert r.status_code == 200, r.text
    k = next(c for c in r.json()["work_centers"] if c["work_center_id"] == center)
    assert (k["scheduled_minutes"], k["downtime_minutes"], k["available_minutes"]) == (480, 60, 420)
    assert (k["availability"], k["performance"], k["quality"]) == (0.875, 0.75, 0.9)
    assert k["oee"] == round(0.875 * 0.75 * 0.9, 4)
    assert k["utilisation"] == round(40 / 420, 4)
    assert (k["adherence"], k["mean_start_deviation_minutes"]) == (1.0, 0.0)
    assert (k["good"], k["scrap"]) == (9, 1)


async def test_labour_per_order_and_the_bottleneck(shift: Api) -> None:
    day = {"from": "2026-11-23T00:00:00Z", "to": "2026-11-24T00:00:00Z"}
    body = (await shift.client.get("/kpis", params=day)).json()
    assert body["from"] == "2026-11-23T00:00:00Z"
    labour = {"standard_minutes": "30.00", "actual_minutes": "40.00", "variance_minutes": "10.00"}
    assert body["orders"] == [{"order_id": "KO1", **labour}]
    gantt = {o["job_id"]: o for o in (await shift.client.get("/schedule")).json()}
    assert body["bottleneck"] == gantt["KO2-10"]["work_center_id"]


async def test_an_empty_period_is_422(shift: Api) -> None:
    params = {"from": "2026-11-24T00:00:00Z", "to": "2026-11-23T00:00:00Z"}
    r = await shift.client.get("/kpis", params=params)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "from"]
