"""Who may judge quality: inspectors record results, raise NCRs and decide dispositions."""

from __future__ import annotations

import httpx
import pytest

from mes_events.auth import ORDERS_WRITE, QUALITY_WRITE, READ, terminal_scope
from mes_events.testing.auth import bearer
from mes_quality.application.context import Quality
from mes_quality.testing import open_inspection, results

pytestmark = pytest.mark.integration

WRITES = [
    ("/inspections/ACL-I/results", results(["10", "10", "10"])),
    (
        "/ncrs",
        {
            "order_id": "ACL",
            "operation_seq": 10,
            "quantity": 1,
            "defect_code": "BURR",
            "description": "burr",
        },
    ),  # fmt: skip
    ("/ncrs/ACL-N/disposition", {"disposition": {"kind": "use_as_is"}, "decided_by": "qa"}),
]


@pytest.mark.parametrize(("path", "body"), WRITES, ids=[w[0] for w in WRITES])
@pytest.mark.parametrize("scope", [READ, ORDERS_WRITE, terminal_scope("SAW-1")])
async def test_writes_need_quality_write(
    client: httpx.AsyncClient, path: str, body: object, scope: str
) -> None:
    r = await client.post(path, json=body, headers=bearer(scope))
    assert r.status_code == 403, r.text
    assert repr(QUALITY_WRITE) in r.json()["detail"]


async def test_an_inspector_records_and_a_dashboard_reads(
    q: Quality, client: httpx.AsyncClient
) -> None:
    inspection = await open_inspection(q, client, "ACL-O", "ACL-O-a")
    r = await client.post(
        f"/inspections/{inspection}/results",
        json=results(["10", "10", "10"]),
        headers=bearer(QUALITY_WRITE, subject="inspector"),
    )
    assert r.status_code == 200 and r.json()["status"] == "passed", r.text
    shown = await client.get(f"/inspections/{inspection}", headers=bearer(READ))
    assert shown.status_code == 200 and shown.json()["status"] == "passed"
    assert (await client.get("/kpis", headers={"Authorization": ""})).status_code == 401
