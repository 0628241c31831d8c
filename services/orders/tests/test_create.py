"""Creating orders: 201, idempotent repeat, conflicting body, concurrency, the event's snapshot."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from mes_orders.entrypoints.api.schemas import OrderOut
from mes_orders.testing import Api, order_body

pytestmark = pytest.mark.integration


async def stored_events(api: Api, order_id: str) -> list[str]:
    async with api.runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT event_type FROM stored_event WHERE stream_id = :s ORDER BY position"),
            {"s": order_id},
        )
        return [r[0] for r in rows]


async def test_create_returns_201_with_location_and_etag(api: Api) -> None:
    r = await api.client.post("/orders", json=order_body("ERP-1"))
    assert r.status_code == 201, r.text
    order = r.json()
    assert r.headers["location"] == f"/orders/{order['order_id']}"
    assert r.headers["etag"] == '"1"'
    assert order["status"] == "received" and order["version"] == 1
    assert order["due_date"] == "2026-12-01T12:00:00Z"
    assert order["received_at"] == api.clock.now.isoformat().replace("+00:00", "Z")
    assert await stored_events(api, order["order_id"]) == ["orders.OrderReceived"]


async def test_same_body_again_returns_the_same_order_with_200(api: Api) -> None:
    first = await api.client.post("/orders", json=order_body("ERP-2"))
    again = await api.client.post("/orders", json=order_body("ERP-2"))
    assert (first.status_code, again.status_code) == (201, 200)
    # The 201 is answered from the command, the 200 from the stored row: the same order.
    assert again.json() == first.json()
    assert set(first.json()) == set(OrderOut.model_fields)
    assert again.headers["etag"] == '"1"'
    assert again.headers["location"] == first.headers["location"]
    assert await stored_events(api, first.json()["order_id"]) == ["orders.OrderReceived"]


async def test_different_body_under_the_same_reference_is_409_and_stores_nothing(api: Api) -> None:
    first = await api.client.post("/orders", json=order_body("ERP-3"))
    clash = await api.client.post("/orders", json=order_body("ERP-3", quantity=11))
    assert clash.status_code == 409
    assert "ERP-3" in clash.json()["detail"] and "different body" in clash.json()["detail"]
    detail = (await api.client.get(f"/orders/{first.json()['order_id']}")).json()
    assert detail["quantity"] == 10
    assert await stored_events(api, first.json()["order_id"]) == ["orders.OrderReceived"]


async def test_concurrent_creates_of_one_reference_store_one_order(api: Api) -> None:
    body = order_body("ERP-RACE")
    responses = await asyncio.gather(*(api.client.post("/orders", json=body) for _ in range(12)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 11 + [201]
    assert len({r.json()["order_id"] for r in responses}) == 1
    assert await stored_events(api, responses[0].json()["order_id"]) == ["orders.OrderReceived"]


async def test_concurrent_different_bodies_one_wins_the_rest_conflict(api: Api) -> None:
    bodies = [order_body("ERP-RACE-2", quantity=q) for q in range(1, 9)]
    responses = await asyncio.gather(*(api.client.post("/orders", json=b) for b in bodies))
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 7


async def test_many_concurrent_creates_each_stored_once(api: Api) -> None:
    refs = [f"ERP-BULK-{i}" for i in range(60)]
    responses = await asyncio.gather(
        *(api.client.post("/orders", json=order_body(r)) for r in refs)
    )
    assert {r.status_code for r in responses} == {201}
    ids = {r.json()["order_id"] for r in responses}
    assert len(ids) == 60
    async with api.runtime.engine.connect() as conn:
        n = await conn.scalar(
            text("SELECT count(*) FROM stored_event WHERE stream_id = ANY(:ids)"),
            {"ids": list(ids)},
        )
    assert n == 60


async def test_order_received_carries_routing_materials_and_inspection(api: Api) -> None:
    r = await api.client.post("/orders", json=order_body("ERP-SNAP", due_date="2026-12-24"))
    history = (await api.client.get(f"/orders/{r.json()['order_id']}/history")).json()
    (event,) = history["events"]
    assert event["type"] == "orders.OrderReceived" and event["schema_version"] == 2
    data = event["data"]
    assert data["due_at"] == "2026-12-24T00:00:00Z"
    assert data["external_ref"] == "ERP-SNAP"
    assert [op["seq"] for op in data["routing"]] == [10, 20]
    assert data["routing"][0]["run_minutes_per_unit"] == "1.5"
    spec = data["routing"][1]["inspection"]
    assert spec["sample_size"] == 3
    assert spec["characteristics"][0] == {
        "name": "bore",
        "nominal": "12.00",
        "lower": "11.98",
        "upper": "12.02",
        "unit": "mm",
    }
    assert data["materials"] == [
        {"material_id": "STEEL-BAR", "quantity_per_unit": "0.25", "operation_seq": 10}
    ]


async def test_correlation_id_from_the_caller_is_recorded(api: Api) -> None:
    corr = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    r = await api.client.post(
        "/orders", json=order_body("ERP-CORR"), headers={"X-Correlation-ID": corr}
    )
    history = (await api.client.get(f"/orders/{r.json()['order_id']}/history")).json()
    assert history["events"][0]["correlation_id"] == corr
    assert history["events"][0]["causation_id"] is None


async def test_an_order_names_its_plant_and_defaults_to_the_default_plant(api: Api) -> None:
    north = await api.client.post("/orders", json=order_body("ERP-NORTH", plant_id="north"))
    plain = await api.client.post("/orders", json=order_body("ERP-PLAIN"))
    assert north.status_code == plain.status_code == 201, (north.text, plain.text)
    assert (north.json()["plant_id"], plain.json()["plant_id"]) == ("north", "default")
    history = (await api.client.get(f"/orders/{north.json()['order_id']}/history")).json()
    assert history["events"][0]["data"]["plant_id"] == "north"
    got = await api.client.get(f"/orders/{north.json()['order_id']}")
    assert got.json()["plant_id"] == "north"
    page = await api.client.get("/orders", params={"plant_id": "north", "limit": 500})
    assert [o["external_ref"] for o in page.json()["items"]] == ["ERP-NORTH"]
    # The plant is part of the order: the same reference for another plant is a conflict.
    again = await api.client.post("/orders", json=order_body("ERP-NORTH", plant_id="south"))
    assert again.status_code == 409, again.text


@pytest.mark.parametrize("plant_id", ["", "x" * 65, 7])
async def test_a_bad_plant_is_422_naming_it(api: Api, plant_id: object) -> None:
    r = await api.client.post("/orders", json=order_body("ERP-BADPLANT", plant_id=plant_id))
    assert r.status_code == 422, r.text
    assert ["body", "plant_id"] in [e["loc"][:2] for e in r.json()["detail"]]
