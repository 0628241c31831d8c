"""Who may act on the floor: a line terminal starts, completes and reports down only its own
work center's jobs; master data needs admin; every signed-in caller reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from mes_events.auth import ADMIN, ANY_TERMINAL, ORDERS_WRITE, READ, terminal_scope
from mes_events.service import Role
from mes_events.settings import KafkaSettings
from mes_events.testing.auth import bearer
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
LATHE, MILL = terminal_scope("L1"), terminal_scope("M1")


@pytest.fixture(scope="module")
async def api(scheduler_db: str) -> AsyncIterator[Api]:
    roles = frozenset({Role.API})
    async for api in running(scheduler_db, KafkaSettings(), roles, improver_enabled=False):
        feeder = Feeder(api)
        for wc, group in (("L1", "LATHE"), ("M1", "MILL")):
            body = work_center_body(wc, group, calendar=two_shifts())
            assert (await api.client.post("/work-centers", json=body)).status_code == 201
        await feeder.own()
        await feeder.feed(ORDERS.envelope("A1", order_received("A1", (10, "LATHE", 1))))
        yield api


async def act(api: Api, path: str, scope: str, key: str, **body: Any) -> Any:
    headers = {"Idempotency-Key": key, **bearer(scope, subject=scope)}
    return await api.client.post(path, json=body, headers=headers)


async def events(api: Api, job_id: str) -> list[str]:
    async with api.runtime.engine.connect() as conn:
        envelopes = await api.runtime.store.read_stream(conn, f"job-{job_id}")
    return [e.event_type for e in envelopes]


async def test_a_terminal_runs_only_its_own_centers_jobs(api: Api) -> None:
    denied = await act(api, "/jobs/A1-10/start", MILL, "s-mill", operator="ann")
    assert denied.status_code == 403 and repr(LATHE) in denied.json()["detail"]
    elsewhere = await act(
        api, "/jobs/A1-10/start", MILL, "s-mill-2", operator="ann", work_center_id="M1"
    )
    assert elsewhere.status_code == 409, elsewhere.text  # its own center, not this job's group
    assert await events(api, "A1-10") == []
    started = await act(api, "/jobs/A1-10/start", LATHE, "s-lathe", operator="ann")
    assert started.status_code == 200, started.text
    replay = await act(api, "/jobs/A1-10/start", MILL, "s-lathe", operator="ann")
    assert replay.status_code == 403, "another terminal gets no replayed answer"
    finish = {"good_quantity": 1, "operator": "ann"}
    denied = await act(api, "/jobs/A1-10/complete", MILL, "c-mill", **finish)
    assert denied.status_code == 403 and repr(LATHE) in denied.json()["detail"]
    done = await act(api, "/jobs/A1-10/complete", LATHE, "c-lathe", **finish)
    assert done.status_code == 200, done.text
    assert await events(api, "A1-10") == ["scheduler.JobStarted", "scheduler.JobCompleted"]


@pytest.mark.parametrize("scope", [READ, ORDERS_WRITE])
async def test_jobs_need_a_terminal(api: Api, scope: str) -> None:
    r = await act(api, "/jobs/A1-10/start", scope, f"s-{scope}", operator="ann")
    assert r.status_code == 403 and repr(ANY_TERMINAL) in r.json()["detail"]


async def test_down_and_up_from_the_centers_own_terminal(api: Api) -> None:
    down = {"reason": "spindle", "expected_minutes": 30}
    denied = await act(api, "/work-centers/L1/down", MILL, "d-1", **down)
    assert denied.status_code == 403 and repr(LATHE) in denied.json()["detail"]
    assert (await act(api, "/work-centers/L1/down", LATHE, "d-2", **down)).status_code == 200
    assert (await act(api, "/work-centers/L1/up", ADMIN, "u-1")).status_code == 200


async def test_registering_a_center_needs_admin_and_everyone_reads(api: Api) -> None:
    body = work_center_body("W9", "WELD", calendar=two_shifts())
    r = await api.client.post("/work-centers", json=body, headers=bearer(LATHE))
    assert r.status_code == 403 and repr(ADMIN) in r.json()["detail"]
    for scope in (READ, LATHE):
        for path in ("/work-centers", "/schedule", "/work-centers/L1/dispatch-list"):
            got = await api.client.get(path, headers=bearer(scope))
            assert got.status_code == 200, (scope, path, got.text)


async def test_repairs_are_timed_per_trigger(api: Api) -> None:
    count = REGISTRY.get_sample_value(
        "mes_replan_duration_seconds_count", {"trigger": "orders.OrderReceived"}
    )
    assert count is not None and count >= 1
    metrics = (await api.client.get("/metrics")).text
    assert 'mes_replan_duration_seconds_bucket{le="0.01",trigger="orders.OrderReceived"}' in metrics
