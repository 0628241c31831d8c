"""Materials, receipts, counts and bad input over the REST API, on PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mes_inventory.application.context import Inventory
from mes_inventory.testing import balances_hold, scalar

pytestmark = pytest.mark.integration

AT = "2026-03-01T08:00:00+00:00"


async def events(inv: Inventory) -> int:
    return int(await scalar(inv, "SELECT count(*) FROM stored_event"))


def receipt(lot: str, qty: Any, material: str = "STEEL", **extra: Any) -> dict[str, Any]:
    return {"material_id": material, "lot_id": lot, "quantity": qty, "received_at": AT, **extra}


async def test_register_receive_and_show_stock_per_lot(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    body = {"material_id": "STEEL", "description": "Round bar", "unit": "kg",
            "reorder_point": "50", "lead_time_days": 7}  # fmt: skip
    created = await client.post("/materials", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["on_hand"] == "0" and created.json()["reorder_point"] == "50"
    again = await client.post("/materials", json=body)
    assert again.status_code == 200
    clash = await client.post("/materials", json={**body, "unit": "m"})
    assert clash.status_code == 409 and "STEEL" in clash.json()["detail"]
    for lot, qty in (("L1", "100"), ("L2", "20.5")):
        r = await client.post("/receipts", json=receipt(lot, qty, supplier="ACME-STEEL"))
        assert r.status_code == 201, r.text
    shown = (await client.get("/materials/STEEL")).json()
    assert shown["on_hand"] == "120.5" and shown["available"] == "120.5"
    assert [(lot["lot_id"], lot["on_hand"]) for lot in shown["lots"]] == [
        ("L1", "100"),
        ("L2", "20.5"),
    ]
    listed = (await client.get("/materials")).json()
    assert [m["material_id"] for m in listed] == ["STEEL"]
    assert (await client.get("/materials/NOPE")).status_code == 404
    await balances_hold(inv)


async def test_receipt_idempotency_key_replays_and_refuses_a_different_body(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    await client.post("/materials", json={"material_id": "BOLT", "description": "M8", "unit": "pc"})
    headers = {"Idempotency-Key": "rcpt-42"}
    first = await client.post("/receipts", json=receipt("B1", 500, "BOLT"), headers=headers)
    assert first.status_code == 201
    stored = await events(inv)
    again = await client.post("/receipts", json=receipt("B1", 500, "BOLT"), headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    other = await client.post("/receipts", json=receipt("B9", 5, "BOLT"), headers=headers)
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]
    assert await events(inv) == stored
    on_hand = (await client.get("/materials/BOLT")).json()["on_hand"]
    assert on_hand == "500"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (receipt("X1", 0), "quantity"),
        (receipt("X1", "-3"), "quantity"),
        (receipt("X1", 5, "GHOST"), "material_id"),
        ({**receipt("X1", 5), "received_at": "2026-03-01T08:00:00"}, "received_at"),
    ],
)
async def test_bad_receipts_are_422_naming_the_field_and_store_nothing(
    client: httpx.AsyncClient, inv: Inventory, body: dict[str, Any], field: str
) -> None:
    await client.post("/materials", json={"material_id": "STEEL", "description": "Round bar",
                                          "unit": "kg", "reorder_point": "50",
                                          "lead_time_days": 7})  # fmt: skip
    stored = await events(inv)
    r = await client.post("/receipts", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"][-1] == field
    assert await events(inv) == stored


async def test_auto_register_and_a_reused_lot_id(client: httpx.AsyncClient, inv: Inventory) -> None:
    r = await client.post("/receipts", json=receipt("N1", 7, "NUT", auto_register=True, unit="pc"))
    assert r.status_code == 201, r.text
    assert (await client.get("/materials/NUT")).json()["unit"] == "pc"
    stored = await events(inv)
    other_material = await client.post("/receipts", json=receipt("N1", 7, "BOLT"))
    assert other_material.status_code == 409
    assert "belongs to material NUT" in other_material.json()["detail"]
    same_material = await client.post("/receipts", json=receipt("N1", 7, "NUT"))
    assert same_material.status_code == 409 and "already received" in same_material.text
    assert await events(inv) == stored


async def test_cycle_count_adjusts_by_the_difference(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    await client.post("/receipts", json=receipt("C1", 40, "WIRE", auto_register=True))
    count = {"material_id": "WIRE", "lot_id": "C1", "counted_quantity": "37.5", "reason": "count"}
    r = await client.post("/adjustments", json=count)
    assert r.status_code == 200 and r.json() == {"lot_id": "C1", "delta": "-2.5"}
    same = await client.post("/adjustments", json=count)
    assert same.json()["delta"] == "0"
    lot = (await client.get("/materials/WIRE")).json()["lots"][0]
    assert (lot["received"], lot["adjusted"], lot["on_hand"]) == ("40", "-2.5", "37.5")
    await balances_hold(inv)


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"lot_id": "NOPE"}, 422, "lot_id"),
        ({"material_id": "STEEL"}, 422, "material_id"),
        ({"counted_quantity": "-1"}, 422, "counted_quantity"),
        ({"reason": ""}, 422, "reason"),
    ],
)
async def test_bad_adjustments_are_refused_and_store_nothing(
    client: httpx.AsyncClient, inv: Inventory, change: dict[str, str], status: int, field: str
) -> None:
    await client.post("/receipts", json=receipt("C2", 10, "WIRE", auto_register=True))
    stored = await events(inv)
    body = {"material_id": "WIRE", "lot_id": "C2", "counted_quantity": "3", "reason": "count"}
    r = await client.post("/adjustments", json={**body, **change})
    assert r.status_code == status, r.text
    assert r.json()["detail"][0]["loc"][-1] == field
    assert await events(inv) == stored
