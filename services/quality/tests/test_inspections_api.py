"""Inspections over the API: requested by job completions, judged once, bad input refused."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from mes_events.catalog.quality import InspectionFailed, NonconformanceRaised
from mes_quality.application.context import Quality
from mes_quality.application.streams import inspection_stream, ncr_stream
from mes_quality.testing import Foreign, job, open_inspection, order, react, results

pytestmark = pytest.mark.integration

ORDERS, JOBS = Foreign("mes/orders"), Foreign("mes/scheduler")


async def open_list(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    r = await client.get("/inspections", params={"status": "open", **params})
    assert r.status_code == 200, r.text
    return list(r.json()["inspections"])


async def test_a_completed_inspected_operation_opens_an_inspection_per_work_center(
    q: Quality, client: httpx.AsyncClient
) -> None:
    await react(q, ORDERS.envelope("O1", order("O1")))
    await react(q, JOBS.envelope("O1-turn", job("O1", "O1-turn", seq=10)))  # no plan at 10
    await react(q, JOBS.envelope("O1-a", job("O1", "O1-a", work_center="GRIND-1")))
    await react(q, JOBS.envelope("O1-b", job("O1", "O1-b", work_center="GRIND-2", good=2)))
    at_1 = await open_list(client, work_center="GRIND-1", order_id="O1")
    assert [(i["job_id"], i["sample_size"], i["batch_quantity"]) for i in at_1] == [("O1-a", 3, 50)]
    assert [c["name"] for c in at_1[0]["characteristics"]] == ["diameter", "length"]
    assert at_1[0]["product"] == "SHAFT-10" and at_1[0]["operation_seq"] == 20
    at_2 = await open_list(client, work_center="GRIND-2", order_id="O1")
    assert [(i["job_id"], i["sample_size"]) for i in at_2] == [("O1-b", 2)]  # only 2 made
    detail = await client.get(f"/inspections/{at_1[0]['inspection_id']}")
    assert detail.status_code == 200 and detail.headers["etag"] == '"1"'


async def test_a_completion_before_its_order_waits_for_the_plan(
    q: Quality, client: httpx.AsyncClient
) -> None:
    await react(q, JOBS.envelope("O2-a", job("O2", "O2-a")))
    assert await open_list(client, order_id="O2") == []
    await react(q, ORDERS.envelope("O2", order("O2")))
    (opened,) = await open_list(client, order_id="O2")
    assert opened["job_id"] == "O2-a"
    # the same completion delivered again (a replayed topic) opens nothing more
    await react(q, Foreign("mes/scheduler").envelope("O2-a", job("O2", "O2-a")))
    assert len(await open_list(client, order_id="O2")) == 1


async def test_results_within_limits_pass(q: Quality, client: httpx.AsyncClient) -> None:
    ins = await open_inspection(q, client, "O3", "O3-a")
    r = await client.post(f"/inspections/{ins}/results", json=results(["9.98", "10", "10.02"]))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "inspection_id": ins,
        "status": "passed",
        "failed_characteristics": [],
        "failed_count": 0,
        "ncr_id": None,
        "version": 2,
    }
    detail = (await client.get(f"/inspections/{ins}")).json()
    assert detail["status"] == "passed" and detail["inspector"] == "eve"
    assert [m["value"] for m in detail["measurements"] if m["characteristic"] == "diameter"] == [
        "9.98",
        "10",
        "10.02",
    ]
    assert await open_list(client, order_id="O3") == []


async def test_results_out_of_limits_fail_and_raise_an_ncr(
    q: Quality, client: httpx.AsyncClient
) -> None:
    ins = await open_inspection(q, client, "O4", "O4-a")
    body = results(["0", "0", "0"], ["50", "50.2", "50"], lot_id="L-77", defect_codes=["OVERSIZE"])
    # diameters given in cm: 10.03, 10 and 9.979 mm; pieces 1, 2 (length) and 3 fail
    body["measurements"][0] |= {"unit": "cm", "values": ["1.003", "1.0", "0.9979"]}
    r = await client.post(f"/inspections/{ins}/results", json=body)
    assert r.status_code == 200, r.text
    judged = r.json()
    assert (judged["status"], judged["failed_characteristics"], judged["failed_count"]) == (
        "failed",
        ["diameter", "length"],
        3,
    )
    ncr = (await client.get(f"/ncrs/{judged['ncr_id']}")).json()
    assert (ncr["status"], ncr["quantity"], ncr["defect_code"], ncr["lot_id"]) == (
        "open",
        3,
        "OVERSIZE",
        "L-77",
    )
    assert ncr["inspection_id"] == ins and ncr["order_id"] == "O4" and ncr["operation_seq"] == 20
    assert "diameter: 2 of 3 sampled pieces outside [9.98, 10.02] mm" in ncr["description"]
    async with q.uow.engine.connect() as conn:
        stored = [e.payload() for e in await q.store.read_stream(conn, inspection_stream(ins))]
        raised = [e.payload() for e in await q.store.read_stream(conn, ncr_stream(ncr["ncr_id"]))]
    failed = stored[-1]
    assert isinstance(failed, InspectionFailed) and failed.failed_count == 3
    assert [m.value for m in failed.measurements[:3]] == [
        Decimal(v) for v in ("10.03", "10", "9.979")
    ]
    assert isinstance(raised[0], NonconformanceRaised) and raised[0].lot_id == "L-77"


BAD: list[tuple[str, Any, int, list[Any] | None, str]] = [
    # (case, body or mutation, status, loc, text in the reason)
    (
        "unknown characteristic",
        {"characteristic": "bore", "values": ["1", "1", "1"]},
        422,
        ["body", "measurements", 1, "characteristic"],
        "'bore' is not in the inspection plan",
    ),
    (
        "wrong sample count",
        {"characteristic": "length", "values": ["50", "50"]},
        422,
        ["body", "measurements", 1, "values"],
        "sample size is 3, got 2",
    ),
    (
        "unit of another dimension",
        {"characteristic": "length", "unit": "g", "values": ["50", "50", "50"]},
        422,
        ["body", "measurements", 1, "unit"],
        "mass unit",
    ),
    ("missing characteristic", None, 422, ["body", "measurements"], "no measurements for length"),
    ("no inspector", "no-inspector", 422, ["body", "inspector"], "Field required"),
    (
        "not a number",
        {"characteristic": "length", "values": ["fifty", "50", "50"]},
        422,
        ["body", "measurements", 1, "values", 0],
        "decimal",
    ),
]


@pytest.mark.parametrize(
    ("case", "second", "status", "loc", "reason"), BAD, ids=[b[0] for b in BAD]
)
async def test_bad_results_are_refused_naming_the_field_and_store_nothing(
    q: Quality,
    client: httpx.AsyncClient,
    case: str,
    second: Any,
    status: int,
    loc: list[Any],
    reason: str,
) -> None:
    ins = await open_inspection(q, client, f"O5-{case}", "O5-a")
    body = results(["10", "10", "10"])
    if second == "no-inspector":
        del body["inspector"]
    elif second is None:
        body["measurements"] = body["measurements"][:1]
    else:
        body["measurements"][1] = second
    r = await client.post(f"/inspections/{ins}/results", json=body)
    assert r.status_code == status, r.text
    (problem,) = [p for p in r.json()["detail"] if p["loc"] == loc]
    assert reason in problem["msg"]
    detail = (await client.get(f"/inspections/{ins}")).json()
    assert (detail["status"], detail["version"]) == ("open", 1)


async def test_conflicts_and_unknown_inspections(q: Quality, client: httpx.AsyncClient) -> None:
    # (case, status, reason): twice with the same body; to a closed (failed) inspection;
    # an inspection that does not exist; a stale If-Match.
    passed = await open_inspection(q, client, "O6", "O6-a")
    failed = await open_inspection(q, client, "O6", "O6-b")
    ok, bad = results(["10", "10", "10"]), results(["11", "10", "10"])
    assert (await client.post(f"/inspections/{passed}/results", json=ok)).status_code == 200
    assert (await client.post(f"/inspections/{failed}/results", json=bad)).status_code == 200
    stale = await open_inspection(q, client, "O6", "O6-c")
    cases = [
        (passed, ok, {}, 409, "already passed: results are recorded once"),
        (failed, ok, {}, 409, "already failed: results are recorded once"),
        ("no-such-inspection", ok, {}, 404, "inspection no-such-inspection not found"),
        (stale, ok, {"If-Match": '"7"'}, 412, "is at version 1, not 7"),
    ]
    for ins, body, headers, status, reason in cases:
        r = await client.post(f"/inspections/{ins}/results", json=body, headers=headers)
        assert (r.status_code, reason in r.json()["detail"]) == (status, True), (ins, r.text)
    r = await client.post(f"/inspections/{stale}/results", json=ok, headers={"If-Match": '"1"'})
    assert r.status_code == 200
    assert (await client.get("/inspections/no-such-inspection")).status_code == 404


async def test_idempotency_key_replays_the_first_answer(
    q: Quality, client: httpx.AsyncClient
) -> None:
    ins = await open_inspection(q, client, "O7", "O7-a")
    other = await open_inspection(q, client, "O7", "O7-b")
    body, key = results(["10.05", "10", "10"]), {"Idempotency-Key": "terminal-7-1"}
    first = await client.post(f"/inspections/{ins}/results", json=body, headers=key)
    again = await client.post(f"/inspections/{ins}/results", json=body, headers=key)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    changed = await client.post(
        f"/inspections/{ins}/results", json=results(["10"] * 3), headers=key
    )
    elsewhere = await client.post(f"/inspections/{other}/results", json=body, headers=key)
    for r in (changed, elsewhere):
        assert r.status_code == 409 and "different request" in r.json()["detail"]
    r = await client.get("/ncrs", params={"order_id": "O7"})
    assert len(r.json()["ncrs"]) == 1  # the retry raised no second NCR


async def test_lists_page_with_a_cursor(q: Quality, client: httpx.AsyncClient) -> None:
    for n in range(5):
        await react(q, JOBS.envelope(f"O1-p{n}", job("O1", f"O1-p{n}", work_center="PAGE")))
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"work_center": "PAGE", "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/inspections", params=params)).json()
        seen += [i["job_id"] for i in page["inspections"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"O1-p{n}" for n in range(5)]
    bad = await client.get("/inspections", params={"cursor": "x"})
    assert bad.status_code == 422


async def test_concurrent_results_one_wins_the_other_is_a_conflict(
    q: Quality, client: httpx.AsyncClient
) -> None:
    ins = await open_inspection(q, client, "O8", "O8-a")
    bodies = (results(["10", "10", "10"]), results(["10.5", "10", "10"]))
    answers = await asyncio.gather(
        *(client.post(f"/inspections/{ins}/results", json=b) for b in bodies)
    )
    assert sorted(r.status_code for r in answers) == [200, 409]
    detail = (await client.get(f"/inspections/{ins}")).json()
    winner = next(r for r in answers if r.status_code == 200).json()
    assert (detail["status"], detail["version"]) == (winner["status"], 2)
    ncrs = (await client.get("/ncrs", params={"order_id": "O8"})).json()["ncrs"]
    assert len(ncrs) == (1 if winner["status"] == "failed" else 0)
