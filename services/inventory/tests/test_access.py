"""Who may change stock: master data and counts by a manager, receipts by the ERP integration,
lot holds by inspectors; every signed-in caller reads."""

from __future__ import annotations

import httpx
import pytest

from mes_events.auth import ADMIN, ORDERS_WRITE, QUALITY_WRITE, READ, terminal_scope
from mes_events.testing.auth import bearer

pytestmark = pytest.mark.integration

AT = "2026-03-01T08:00:00+00:00"
MATERIAL = {"material_id": "ACL-M", "description": "bar", "unit": "kg"}
RECEIPT = {"material_id": "ACL-M", "lot_id": "ACL-L", "quantity": "5", "received_at": AT}
HOLD = {"reason": "suspect"}
COUNT = {"lot_id": "ACL-L", "material_id": "ACL-M", "counted_quantity": "5", "reason": "count"}

ROUTES = [
    ("/materials", MATERIAL, ADMIN),
    ("/receipts", RECEIPT, ORDERS_WRITE),
    ("/adjustments", COUNT, ADMIN),
    ("/lots/ACL-L/quarantine", HOLD, QUALITY_WRITE),
    ("/lots/ACL-L/release", HOLD, QUALITY_WRITE),
]
OTHERS = (READ, ORDERS_WRITE, QUALITY_WRITE, terminal_scope("SAW-1"))


@pytest.mark.parametrize(("path", "body", "needed"), ROUTES, ids=[r[0] for r in ROUTES])
async def test_each_write_needs_its_scope(
    client: httpx.AsyncClient, path: str, body: dict[str, str], needed: str
) -> None:
    for scope in OTHERS:
        if scope == needed:
            continue
        r = await client.post(path, json=body, headers=bearer(scope))
        assert r.status_code == 403, (scope, r.text)
        assert repr(needed) in r.json()["detail"]
    assert (await client.post(path, json=body, headers={"Authorization": ""})).status_code == 401


async def test_each_role_does_its_part(client: httpx.AsyncClient) -> None:
    steps = [(path, body, needed) for path, body, needed in ROUTES]
    for path, body, needed in steps:
        r = await client.post(path, json=body, headers=bearer(needed))
        assert r.status_code in (200, 201), (path, r.text)
    for scope in (READ, terminal_scope("SAW-1")):
        shown = await client.get("/materials/ACL-M", headers=bearer(scope))
        assert shown.status_code == 200 and shown.json()["on_hand"] == "5"
