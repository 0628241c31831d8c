"""Reading orders: one order, filters, cursor pagination, history, 404s."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mes_orders.testing import Api, order_body

pytestmark = pytest.mark.integration


async def create(api: Api, ref: str, **overrides: Any) -> dict[str, Any]:
    r = await api.client.post("/orders", json=order_body(ref, **overrides))
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


async def test_get_order_shows_operations_materials_and_etag(api: Api) -> None:
    order = await create(api, "Q-GET", quantity=8)
    r = await api.client.get(f"/orders/{order['order_id']}")
    assert r.status_code == 200 and r.headers["etag"] == '"1"'
    detail = r.json()
    assert detail["status"] == "received" and detail["at_risk"] is False
    assert detail["projected_completion_at"] is None and detail["lateness_minutes"] is None
    ops = detail["operations"]
    assert [(o["seq"], o["status"], o["good_quantity"]) for o in ops] == [
        (10, "planned", 0),
        (20, "planned", 0),
    ]
    assert ops[1]["inspection"]["sample_size"] == 3
    (material,) = detail["materials"]
    assert material["material_id"] == "STEEL-BAR"
    assert material["required_quantity"] == "2.00"
    assert material["status"] == "unknown"


async def test_unknown_order_is_404_everywhere(api: Api) -> None:
    for path in ("/orders/nope", "/orders/nope/history"):
        r = await api.client.get(path)
        assert r.status_code == 404 and "nope" in r.json()["detail"]
    r = await api.client.post("/orders/nope/cancel", json={"reason": "x"})
    assert r.status_code == 404
    r = await api.client.patch("/orders/nope", json={"quantity": 2}, headers={"If-Match": '"1"'})
    assert r.status_code == 404


async def test_filters(api: Api) -> None:
    await create(api, "F-1", customer="FILTER-A", product="P1", due_date="2027-01-10T00:00:00Z")
    await create(api, "F-2", customer="FILTER-A", product="P2", due_date="2027-02-10T00:00:00Z")
    await create(api, "F-3", customer="FILTER-B", product="P1", due_date="2027-03-10T00:00:00Z")

    async def refs(**params: Any) -> list[str]:
        r = await api.client.get("/orders", params=params | {"limit": 500})
        assert r.status_code == 200, r.text
        return [o["external_ref"] for o in r.json()["items"] if o["external_ref"][:2] == "F-"]

    assert await refs(customer="FILTER-A") == ["F-1", "F-2"]
    assert await refs(product="P1") == ["F-1", "F-3"]
    assert await refs(customer="FILTER-A", product="P1") == ["F-1"]
    assert await refs(due_before="2027-02-01T00:00:00Z") == ["F-1"]
    assert await refs(due_after="2027-02-01T00:00:00Z") == ["F-2", "F-3"]
    assert await refs(status="received", customer="FILTER-B") == ["F-3"]
    assert await refs(status="cancelled", customer="FILTER-B") == []
    assert await refs(at_risk="true") == []
    assert await refs(at_risk="false", customer="FILTER-B") == ["F-3"]


async def test_pagination_is_stable_while_orders_arrive(api: Api) -> None:
    for i in range(25):
        await create(api, f"PAGE-{i:02d}", customer="PAGER")
    seen: list[str] = []
    cursor: str | None = None
    arrivals = 0
    while True:
        params: dict[str, Any] = {"customer": "PAGER", "limit": 7}
        if cursor:
            params["cursor"] = cursor
        page = (await api.client.get("/orders", params=params)).json()
        seen += [o["external_ref"] for o in page["items"]]
        # New orders arrive between pages: they may appear at the end, never duplicate or
        # push earlier ones off a page.
        await create(api, f"PAGE-LATE-{arrivals}", customer="PAGER")
        arrivals += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    original = [f"PAGE-{i:02d}" for i in range(25)]
    assert seen[:25] == original
    assert len(seen) == len(set(seen))
    assert all(ref.startswith("PAGE-LATE-") for ref in seen[25:])


async def test_a_bad_cursor_is_422(api: Api) -> None:
    r = await api.client.get("/orders", params={"cursor": "garbage!"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "cursor"]


async def test_history_lists_events_in_order_with_their_causes(api: Api) -> None:
    order = await create(api, "H-1")
    oid = order["order_id"]
    corr = "2a4e28ba-2fa1-11d2-883f-0016d3cca427"
    api.clock.advance(minutes=5)
    r = await api.client.patch(
        f"/orders/{oid}",
        json={"quantity": 12, "reason": "customer call"},
        headers={"If-Match": '"1"', "X-Correlation-ID": corr},
    )
    assert r.status_code == 200, r.text
    api.clock.advance(minutes=5)
    r = await api.client.post(f"/orders/{oid}/cancel", json={"reason": "customer withdrew"})
    assert r.status_code == 200, r.text
    history = (await api.client.get(f"/orders/{oid}/history")).json()
    events = history["events"]
    assert [(e["version"], e["type"]) for e in events] == [
        (1, "orders.OrderReceived"),
        (2, "orders.OrderAmended"),
        (3, "orders.OrderCancelled"),
    ]
    assert events[1]["correlation_id"] == corr
    assert events[1]["data"] == {
        "order_id": oid,
        "quantity": 12,
        "due_at": None,
        "priority": None,
        "reason": "customer call",
    }
    assert events[2]["data"]["reason"] == "customer withdrew"
    times = [e["occurred_at"] for e in events]
    assert times == sorted(times) and len(set(times)) == 3


async def test_openapi_is_published(api: Api) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    assert {
        "/orders",
        "/orders/{order_id}",
        "/orders/at-risk",
        "/orders/{order_id}/history",
    } <= set(spec["paths"])
    assert "post" in spec["paths"]["/orders"] and "patch" in spec["paths"]["/orders/{order_id}"]


async def test_concurrent_reads_and_writes(api: Api) -> None:
    orders = await asyncio.gather(*(create(api, f"RW-{i}") for i in range(10)))
    reads = await asyncio.gather(*(api.client.get(f"/orders/{o['order_id']}") for o in orders))
    assert {r.status_code for r in reads} == {200}


async def test_an_unknown_status_filter_is_422_naming_it(api: Api) -> None:
    r = await api.client.get("/orders", params={"status": "lost"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "status"]
