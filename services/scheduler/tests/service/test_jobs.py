"""Line terminals start and complete jobs: idempotent under a key, refused (409) with the reason
when the job cannot run, and the plan follows what was done."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from mes_events.catalog.inventory import MaterialShortage
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
from service.plan_checks import published_equals_memory

pytestmark = pytest.mark.integration

ORDERS, INVENTORY = Foreign("mes/orders"), Foreign("mes/inventory")


@pytest.fixture(scope="module")
async def floor(scheduler_db: str) -> AsyncIterator[tuple[Api, Feeder]]:
    roles = frozenset({Role.API})
    async for api in running(
        scheduler_db, KafkaSettings(), roles, verify_plans=True, improver_enabled=False
    ):
        feeder = Feeder(api)
        for wc, group in (("L1", "LATHE"), ("M1", "MILL")):
            body = work_center_body(wc, group, calendar=two_shifts(), efficiency="0.5")
            assert (await api.client.post("/work-centers", json=body)).status_code == 201
        await feeder.own()
        steps = ((10, "LATHE", 2), (20, "MILL", 3))
        j1 = order_received("J1", *steps, setup=5, materials={20: "BAR"})
        await feeder.feed(ORDERS.envelope("J1", j1))
        short = MaterialShortage(
            material_id="BAR",
            order_id="J1",
            operation_seq=20,
            required_quantity=Decimal(10),
            missing_quantity=Decimal(10),
        )
        await feeder.feed(INVENTORY.envelope("material-BAR", short))
        await feeder.feed(ORDERS.envelope("J2", order_received("J2", (10, "LATHE", 1))))
        yield api, feeder


async def post(api: Api, path: str, key: str | None, **body: Any) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return await api.client.post(path, json=body, headers=headers)


async def stream(api: Api, job_id: str) -> list[str]:
    async with api.runtime.engine.connect() as conn:
        envelopes = await api.runtime.store.read_stream(conn, f"job-{job_id}")
    return [e.event_type for e in envelopes]


async def test_refusals_name_their_reason(floor: tuple[Api, Feeder]) -> None:
    api, _ = floor
    r = await post(api, "/jobs/J1-10/complete", "c0", good_quantity=1, operator="ann")
    assert (r.status_code, r.json()["detail"]) == (409, "job J1-10 was never started")
    r = await post(api, "/jobs/J1-20/start", "s0", operator="ann")
    assert r.status_code == 409
    assert r.json()["detail"] == "predecessor operation 10 is not done; material is short"
    r = await post(api, "/jobs/J1-10/start", None, operator="ann")
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
    r = await post(api, "/jobs/J1-10/start", "s1", operator="ann", override=True)
    assert r.status_code == 422
    assert (await post(api, "/jobs/NOPE-1/start", "s2", operator="ann")).status_code == 404
    assert await stream(api, "J1-10") == [] and await stream(api, "J1-20") == []


async def test_a_start_posted_twice_starts_once(floor: tuple[Api, Feeder]) -> None:
    api, feeder = floor
    first = await post(api, "/jobs/J1-10/start", "start-1", operator="ann", terminal="T7")
    assert first.status_code == 200, first.text
    again = await post(api, "/jobs/J1-10/start", "start-1", operator="ann", terminal="T7")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    other_body = await post(api, "/jobs/J1-10/start", "start-1", operator="bob")
    assert other_body.status_code == 409
    other_key = await post(api, "/jobs/J1-10/start", "start-2", operator="ann")
    assert other_key.status_code == 409 and "already started" in other_key.json()["detail"]
    busy = await post(api, "/jobs/J2-10/start", "start-3", operator="bob")
    assert (busy.status_code, busy.json()["detail"]) == (409, "work center L1 is running job J1-10")
    assert await stream(api, "J1-10") == ["scheduler.JobStarted"]
    await feeder.own()
    (running_job, *_) = (await api.client.get("/work-centers/L1/dispatch-list")).json()
    assert (running_job["job_id"], running_job["status"]) == ("J1-10", "started")
    await published_equals_memory(api)


async def test_a_completion_posted_twice_counts_once(floor: tuple[Api, Feeder]) -> None:
    api, feeder = floor
    api.clock.advance(minutes=50)
    too_many = await post(api, "/jobs/J1-10/complete", "done-0", good_quantity=11, operator="ann")
    assert too_many.status_code == 409
    assert too_many.json()["detail"] == "completing more than was ordered: 11 good > 10"
    body = {"good_quantity": 9, "scrap_quantity": 1, "operator": "ann"}
    first = await post(api, "/jobs/J1-10/complete", "done-1", **body)
    assert first.status_code == 200, first.text
    job = first.json()
    # Standard: 5 setup + 2 min x 10 pieces / efficiency 0.5; actual: 50 minutes since start.
    assert (job["standard_minutes"], job["actual_minutes"]) == ("45.00", "50.00")
    again = await post(api, "/jobs/J1-10/complete", "done-1", **body)
    assert again.json() == job and again.headers["Idempotent-Replayed"] == "true"
    other = await post(api, "/jobs/J1-10/complete", "done-2", **body)
    assert other.status_code == 409 and "already completed" in other.json()["detail"]
    assert await stream(api, "J1-10") == ["scheduler.JobStarted", "scheduler.JobCompleted"]
    await feeder.own()
    await feeder.own()  # a redelivery of the same events changes nothing
    ops = (await api.client.get("/orders/J1/projection")).json()["operations"]
    assert (ops[0]["status"], ops[0]["end_at"]) == ("completed", "2026-11-23T06:50:00Z")
    assert "J1-10" not in api.planner.state.plan.operations
    await published_equals_memory(api)


async def test_a_manager_override_forces_a_start_and_is_recorded(
    floor: tuple[Api, Feeder],
) -> None:
    api, feeder = floor
    refused = await post(api, "/jobs/J1-20/start", "s20", operator="ann")
    assert (refused.status_code, refused.json()["detail"]) == (409, "material is short")
    forced = await post(
        api, "/jobs/J1-20/start", "s20-forced", operator="ann", override=True, override_by="boss"
    )
    assert forced.status_code == 200, forced.text
    assert (forced.json()["override_by"], forced.json()["overridden"]) == (
        "boss", ["material is short"])  # fmt: skip
    await feeder.own()
    assert "J1-20" in api.planner.state.plan.started
    await published_equals_memory(api)
