"""Work centers over REST: register (idempotent), list, down and up, with their events."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from mes_scheduler.testing import Api, two_shifts, work_center_body

pytestmark = pytest.mark.integration


async def events_of(api: Api, stream_id: str) -> list[str]:
    async with api.runtime.engine.connect() as conn:
        envelopes = await api.runtime.store.read_stream(conn, stream_id)
    return [e.event_type for e in envelopes]


async def test_register_is_idempotent_and_a_different_definition_conflicts(api: Api) -> None:
    body = work_center_body("LATHE-1", "LATHE", calendar=two_shifts(), efficiency="1.25")
    first = await api.client.post("/work-centers", json=body)
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "up"
    assert first.json()["efficiency"] == "1.25"
    monday = {"day": "mon", "start": "06:00:00", "end": "22:00:00"}
    assert first.json()["calendar"]["weekly"][0] == monday
    again = await api.client.post("/work-centers", json=body)
    assert again.status_code == 200
    other = await api.client.post("/work-centers", json={**body, "group": "MILL"})
    assert other.status_code == 409
    assert "another definition" in other.json()["detail"]
    assert await events_of(api, "work-center-LATHE-1") == ["scheduler.WorkCenterRegistered"]
    listed = await api.client.get("/work-centers")
    assert "LATHE-1" in [w["id"] for w in listed.json()]


async def test_down_and_up(api: Api) -> None:
    await api.client.post("/work-centers", json=work_center_body("SAW-1", "SAW"))
    body = {"reason": "blade broke", "expected_minutes": 90}
    r = await api.client.post("/work-centers/SAW-1/down", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "down"
    assert r.json()["expected_up_at"] == "2026-11-23T07:30:00Z"
    again = await api.client.post("/work-centers/SAW-1/down", json={"reason": "again"})
    assert again.status_code == 409
    api.clock.advance(minutes=45)
    r = await api.client.post("/work-centers/SAW-1/up")
    assert r.status_code == 200 and r.json()["status"] == "up"
    assert (await api.client.post("/work-centers/SAW-1/up")).status_code == 409
    async with api.runtime.engine.connect() as conn:
        q = text("SELECT down_at, up_at FROM downtime WHERE work_center_id = 'SAW-1'")
        spans = (await conn.execute(q)).all()
    assert [(a.isoformat(), b.isoformat()) for a, b in spans] == [
        ("2026-11-23T06:00:00+00:00", "2026-11-23T06:45:00+00:00")
    ]
    assert await events_of(api, "work-center-SAW-1") == [
        "scheduler.WorkCenterRegistered", "scheduler.WorkCenterDown", "scheduler.WorkCenterUp"
    ]  # fmt: skip


async def test_bad_input_names_the_field_and_unknown_ids_are_404(api: Api) -> None:
    bad = await api.client.post("/work-centers", json=work_center_body("X", "G", efficiency=0))
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "efficiency"]
    night = {"weekly": [{"day": "mon", "start": "25:00", "end": "06:00"}]}
    bad = await api.client.post("/work-centers", json=work_center_body("X", "G", calendar=night))
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][:3] == ["body", "calendar", "weekly"]
    r = await api.client.post("/work-centers/NOPE/down", json={"reason": "x"})
    assert r.status_code == 404
    assert (await api.client.get("/work-centers/NOPE")).status_code == 404
    assert (await api.client.post("/work-centers/X/down", json={})).status_code == 422


async def test_redefine_replaces_the_definition_with_optimistic_concurrency(api: Api) -> None:
    body = work_center_body("MILL-7", "MILL", calendar=two_shifts())
    assert (await api.client.post("/work-centers", json=body)).status_code == 201
    shown = await api.client.get("/work-centers/MILL-7")
    assert shown.headers["ETag"] == '"1"' and shown.json()["version"] == 1
    nights = {"weekly": [{"day": "mon", "start": "22:00", "end": "06:00"}]}
    new = {"group": "MILL", "name": "Mill 7 (retrofit)", "efficiency": "1.5", "calendar": nights}
    r = await api.client.put("/work-centers/MILL-7", json=new, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == '"2"'
    assert (r.json()["name"], r.json()["efficiency"], r.json()["version"]) == (
        "Mill 7 (retrofit)", "1.5", 2)  # fmt: skip
    assert r.json()["calendar"]["weekly"] == [
        {"day": "mon", "start": "22:00:00", "end": "06:00:00"}
    ]
    assert (await api.client.get("/work-centers/MILL-7")).json() == r.json()
    # The same definition again changes nothing; a stale version is refused.
    again = await api.client.put("/work-centers/MILL-7", json=new)
    assert again.status_code == 200 and again.headers["ETag"] == '"2"'
    stale = await api.client.put("/work-centers/MILL-7", json=new, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert "version 2" in stale.json()["detail"]
    # PUT replaces the whole definition: what it leaves out takes the default.
    plain = await api.client.put("/work-centers/MILL-7", json={"group": "MILL"})
    assert (plain.json()["name"], plain.json()["efficiency"], plain.json()["calendar"]) == (
        "", "1", None)  # fmt: skip
    assert await events_of(api, "work-center-MILL-7") == [
        "scheduler.WorkCenterRegistered", "scheduler.WorkCenterRedefined",
        "scheduler.WorkCenterRedefined",
    ]  # fmt: skip


async def test_redefine_refuses_another_group_unknown_centers_and_bad_input(api: Api) -> None:
    await api.client.post("/work-centers", json=work_center_body("DRILL-3", "DRILL"))
    other = await api.client.put("/work-centers/DRILL-3", json={"group": "MILL"})
    assert other.status_code == 409
    assert "group cannot change" in other.json()["detail"]
    assert (await api.client.put("/work-centers/NOPE", json={"group": "MILL"})).status_code == 404
    bad = await api.client.put("/work-centers/DRILL-3", json={"group": "DRILL", "efficiency": 0})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "efficiency"]
    no_group = await api.client.put("/work-centers/DRILL-3", json={"name": "x"})
    assert no_group.status_code == 422 and no_group.json()["detail"][0]["loc"] == ["body", "group"]
    with_id = await api.client.put("/work-centers/DRILL-3", json={"group": "DRILL", "id": "X"})
    assert with_id.status_code == 422 and with_id.json()["detail"][0]["loc"] == ["body", "id"]
    odd = await api.client.put(
        "/work-centers/DRILL-3", json={"group": "DRILL"}, headers={"If-Match": "yesterday"}
    )
    assert odd.status_code == 412
    assert await events_of(api, "work-center-DRILL-3") == ["scheduler.WorkCenterRegistered"]
