"""Nonconformances over the API: dispositions once, scrap bounds, NCRs raised by hand."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mes_events.catalog.quality import DispositionDecided, Rework
from mes_quality.application.context import Quality
from mes_quality.application.streams import ncr_stream
from mes_quality.testing import open_inspection, results

pytestmark = pytest.mark.integration

REWORK = {
    "kind": "rework",
    "operations": [
        {"operation": "regrind", "work_center_group": "GRINDER", "minutes": "45"},
        {"operation": "measure", "work_center_group": "CMM", "minutes": "10"},
    ],
}


async def failed_ncr(q: Quality, client: httpx.AsyncClient, order_id: str) -> str:
    ins = await open_inspection(q, client, order_id, f"{order_id}-a")
    r = await client.post(f"/inspections/{ins}/results", json=results(["10.1", "10", "10"]))
    assert r.status_code == 200 and r.json()["status"] == "failed", r.text
    return str(r.json()["ncr_id"])


async def dispose(client: httpx.AsyncClient, ncr_id: str, disposition: Any, **headers: str) -> Any:
    body = {"disposition": disposition, "decided_by": "qa-lead"}
    return await client.post(f"/ncrs/{ncr_id}/disposition", json=body, headers=headers)


async def test_rework_is_decided_once_and_stored_with_its_operations(
    q: Quality, client: httpx.AsyncClient
) -> None:
    ncr_id = await failed_ncr(q, client, "N1")
    assert [n["ncr_id"] for n in (await client.get("/ncrs?status=open")).json()["ncrs"]] == [ncr_id]
    r = await dispose(client, ncr_id, REWORK)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dispositioned" and r.headers["etag"] == '"2"'
    detail = (await client.get(f"/ncrs/{ncr_id}")).json()
    assert (detail["status"], detail["decided_by"], detail["disposition"]["kind"]) == (
        "dispositioned",
        "qa-lead",
        "rework",
    )
    assert (await client.get("/ncrs?status=open")).json()["ncrs"] == []
    again = await dispose(client, ncr_id, {"kind": "scrap", "quantity": 1})
    assert again.status_code == 409
    assert "already has a disposition (rework)" in again.json()["detail"]
    async with q.uow.engine.connect() as conn:
        events = [e.payload() for e in await q.store.read_stream(conn, ncr_stream(ncr_id))]
    decided = events[-1]
    assert isinstance(decided, DispositionDecided) and isinstance(decided.disposition, Rework)
    assert [
        (o.operation, o.work_center_group, str(o.minutes)) for o in decided.disposition.operations
    ] == [
        ("regrind", "GRINDER", "45"),
        ("measure", "CMM", "10"),
    ]
    assert (decided.order_id, decided.operation_seq) == ("N1", 20)


BAD: list[tuple[str, Any, int, list[Any] | None]] = [
    # (case, disposition, status, loc of the 422)
    (
        "scrap more than the batch",
        {"kind": "scrap", "quantity": 51},
        422,
        ["body", "disposition", "quantity"],
    ),
    (
        "scrap nothing",
        {"kind": "scrap", "quantity": 0},
        422,
        ["body", "disposition", "scrap", "quantity"],
    ),
    (
        "rework without operations",
        {"kind": "rework", "operations": []},
        422,
        ["body", "disposition", "rework", "operations"],
    ),
    (
        "use as is without justification",
        {"kind": "use_as_is"},
        422,
        ["body", "disposition", "use_as_is", "justification"],
    ),
    ("unknown kind", {"kind": "sell"}, 422, ["body", "disposition"]),
]


@pytest.mark.parametrize(("case", "disposition", "status", "loc"), BAD, ids=[b[0] for b in BAD])
async def test_bad_dispositions_are_refused_naming_the_field(
    q: Quality,
    client: httpx.AsyncClient,
    case: str,
    disposition: Any,
    status: int,
    loc: list[Any],
) -> None:
    ncr_id = await failed_ncr(q, client, f"N2-{case}")
    r = await dispose(client, ncr_id, disposition)
    assert r.status_code == status, r.text
    assert loc in [p["loc"] for p in r.json()["detail"]]
    assert (await client.get(f"/ncrs/{ncr_id}")).json()["status"] == "open"


async def test_scrap_of_the_whole_batch_unknown_ncrs_and_stale_versions(
    q: Quality, client: httpx.AsyncClient
) -> None:
    ncr_id = await failed_ncr(q, client, "N3")  # the job made 50 good pieces
    assert (
        await dispose(client, ncr_id, {"kind": "scrap", "quantity": 5}, **{"If-Match": '"2"'})
    ).status_code == 412
    r = await dispose(client, ncr_id, {"kind": "scrap", "quantity": 50}, **{"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    unknown = await dispose(client, "no-such-ncr", {"kind": "scrap", "quantity": 1})
    assert unknown.status_code == 404 and "no-such-ncr not found" in unknown.json()["detail"]
    assert (await client.get("/ncrs/no-such-ncr")).status_code == 404


async def test_use_as_is_with_an_idempotency_key(q: Quality, client: httpx.AsyncClient) -> None:
    ncr_id = await failed_ncr(q, client, "N4")
    use = {"kind": "use_as_is", "justification": "customer deviation D-12"}
    key = {"Idempotency-Key": "qa-n4"}
    first, again = (
        await dispose(client, ncr_id, use, **key),
        await dispose(client, ncr_id, use, **key),
    )
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"


async def test_a_person_raises_an_ncr_on_a_known_operation(
    q: Quality, client: httpx.AsyncClient
) -> None:
    await open_inspection(q, client, "N5", "N5-a")  # makes order N5 known
    body = {
        "order_id": "N5",
        "operation_seq": 10,
        "quantity": 4,
        "defect_code": "CRACK",
        "description": "cracks found at packing",
        "lot_id": "L-5",
    }
    key = {"Idempotency-Key": "ncr-n5"}
    r = await client.post("/ncrs", json=body, headers=key)
    assert r.status_code == 201, r.text
    ncr_id = r.json()["ncr_id"]
    assert r.headers["location"] == f"/ncrs/{ncr_id}"
    again = await client.post("/ncrs", json=body, headers=key)
    assert (again.status_code, again.json()["ncr_id"]) == (200, ncr_id)
    detail = (await client.get(f"/ncrs/{ncr_id}")).json()
    assert (detail["quantity"], detail["lot_id"], detail["inspection_id"]) == (4, "L-5", None)
    too_many = await dispose(client, ncr_id, {"kind": "scrap", "quantity": 5})
    assert too_many.status_code == 422  # a person's NCR covers its own quantity
    for field, value in (("order_id", "N-unknown"), ("operation_seq", 30)):
        r = await client.post("/ncrs", json=body | {field: value})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", field], r.text
