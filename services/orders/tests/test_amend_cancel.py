"""Amending with ETags, cancelling, and refusing changes to closed orders."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mes_orders.testing import Api, order_body

pytestmark = pytest.mark.integration


async def create(api: Api, ref: str) -> str:
    r = await api.client.post("/orders", json=order_body(ref))
    assert r.status_code == 201, r.text
    order_id: str = r.json()["order_id"]
    return order_id


async def patch(api: Api, oid: str, body: dict[str, Any], etag: str | None) -> Any:
    headers = {"If-Match": etag} if etag else {}
    return await api.client.patch(f"/orders/{oid}", json=body, headers=headers)


async def test_amend_with_current_etag_changes_the_order(api: Api) -> None:
    oid = await create(api, "A-1")
    r = await patch(api, oid, {"due_date": "2026-12-05", "priority": 1, "quantity": 15}, etag='"1"')
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"2"'
    order = r.json()
    assert (order["quantity"], order["priority"]) == (15, 1)
    assert order["due_date"] == "2026-12-05T00:00:00Z"
    detail = await api.client.get(f"/orders/{oid}")
    assert detail.headers["etag"] == '"2"' and detail.json()["quantity"] == 15
    assert detail.json()["status"] == "received", "no progress yet: still only received"


async def test_stale_etag_is_412_and_changes_nothing(api: Api) -> None:
    oid = await create(api, "A-2")
    assert (await patch(api, oid, {"quantity": 11}, etag='"1"')).status_code == 200
    stale = await patch(api, oid, {"quantity": 99}, etag='"1"')
    assert stale.status_code == 412 and "version 2" in stale.json()["detail"]
    assert (await api.client.get(f"/orders/{oid}")).json()["quantity"] == 11


async def test_weak_etag_is_accepted(api: Api) -> None:
    oid = await create(api, "A-WEAK")
    assert (await patch(api, oid, {"priority": 4}, etag='W/"1"')).status_code == 200


async def test_if_match_star_matches_any_version(api: Api) -> None:
    oid = await create(api, "A-STAR")
    assert (await patch(api, oid, {"priority": 5}, etag="*")).status_code == 200
    assert (await patch(api, oid, {"priority": 4}, etag="*")).status_code == 200


async def test_amend_without_if_match_is_428(api: Api) -> None:
    oid = await create(api, "A-3")
    r = await patch(api, oid, {"quantity": 11}, etag=None)
    assert r.status_code == 428 and "If-Match" in r.json()["detail"]


async def test_two_amends_racing_on_one_etag_one_wins(api: Api) -> None:
    oid = await create(api, "A-RACE")
    results = await asyncio.gather(
        *(patch(api, oid, {"quantity": 20 + i}, etag='"1"') for i in range(5))
    )
    assert sorted(r.status_code for r in results) == [200, 412, 412, 412, 412]
    history = (await api.client.get(f"/orders/{oid}/history")).json()["events"]
    assert len(history) == 2


async def test_amend_that_changes_nothing_stores_nothing(api: Api) -> None:
    oid = await create(api, "A-SAME")
    r = await patch(api, oid, {"quantity": 10, "priority": 2}, etag='"1"')
    assert r.status_code == 200 and r.headers["etag"] == '"1"'


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "at least one"),
        ({"quantity": 0}, "quantity"),
        ({"priority": 9}, "priority"),
        ({"due_date": "soon"}, "due_date"),
        ({"quantity": 5, "colour": "red"}, "colour"),
    ],
)
async def test_bad_amendment_is_422(api: Api, body: dict[str, Any], field: str) -> None:
    oid = await create(api, f"A-BAD-{field}")
    r = await patch(api, oid, body, etag='"1"')
    assert r.status_code == 422 and field in r.text
    assert len((await api.client.get(f"/orders/{oid}/history")).json()["events"]) == 1


async def test_cancel_then_amend_or_cancel_again_is_409(api: Api) -> None:
    oid = await create(api, "C-1")
    r = await api.client.post(f"/orders/{oid}/cancel", json={"reason": "duplicate order"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["cancel_reason"] == "duplicate order" and r.headers["etag"] == '"2"'
    again = await api.client.post(f"/orders/{oid}/cancel", json={"reason": "again"})
    assert again.status_code == 409 and "cancelled" in again.json()["detail"]
    amend = await patch(api, oid, {"quantity": 3}, etag='"2"')
    assert amend.status_code == 409 and "is cancelled and cannot be amended" in amend.text


async def test_cancel_needs_a_reason_and_honours_if_match(api: Api) -> None:
    oid = await create(api, "C-2")
    r = await api.client.post(f"/orders/{oid}/cancel", json={})
    assert r.status_code == 422 and "reason" in r.text
    r = await api.client.post(f"/orders/{oid}/cancel", json={"reason": "a\x00b"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "reason"]
    r = await api.client.post(
        f"/orders/{oid}/cancel", json={"reason": "x"}, headers={"If-Match": '"7"'}
    )
    assert r.status_code == 412
    assert (await api.client.get(f"/orders/{oid}")).json()["status"] == "received"


async def test_cancelled_order_created_again_with_same_body_is_the_same_order(api: Api) -> None:
    oid = await create(api, "C-3")
    await api.client.post(f"/orders/{oid}/cancel", json={"reason": "x"})
    again = await api.client.post("/orders", json=order_body("C-3"))
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    assert again.headers["etag"] == '"2"'
