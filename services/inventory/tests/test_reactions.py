"""Reactions to orders and scheduler events: reserve FIFO, shortages, arrivals, backflush."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from mes_events.catalog.orders import OrderAmended, OrderCancelled, OrderCompleted
from mes_events.catalog.quality import DispositionDecided, NonconformanceRaised, UseAsIs
from mes_events.catalog.scheduler import JobCompleted
from mes_inventory.application.context import Inventory
from mes_inventory.entrypoints.api.schemas import LotGenealogy
from mes_inventory.testing import T0, Foreign, balances_hold, order, react

pytestmark = pytest.mark.integration

ORDERS = Foreign("mes/orders", "order")
JOBS = Foreign("mes/scheduler", "job")


async def receive(client: httpx.AsyncClient, material: str, lot: str, qty: str, day: int) -> None:
    at = (T0 + timedelta(days=day)).isoformat()
    body = {"material_id": material, "lot_id": lot, "quantity": qty, "received_at": at,
            "auto_register": True}  # fmt: skip
    r = await client.post("/receipts", json=body)
    assert r.status_code == 201, r.text


async def needs(client: httpx.AsyncClient, order_id: str) -> list[dict[str, Any]]:
    r = await client.get(f"/orders/{order_id}/materials")
    assert r.status_code == 200, r.text
    return list(r.json()["materials"])


def done(order_id: str, job: str, good: int, scrap: int = 0) -> JobCompleted:
    return JobCompleted(
        job_id=job, order_id=order_id, operation_seq=10, work_center_id="LATHE-1",
        good_quantity=good, scrap_quantity=scrap, actual_minutes=Decimal(30), operator="ann",
        completed_at=T0,
    )  # fmt: skip


async def test_order_reserves_fifo_by_receipt_date_and_records_the_shortage(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    await receive(client, "A", "A-new", "30", day=2)
    await receive(client, "A", "A-old", "25", day=1)
    await react(inv, ORDERS.envelope("O1", order("O1", {"A": "7"}, quantity=10)))
    (line,) = await needs(client, "O1")
    assert (line["required"], line["reserved"], line["short"]) == ("70", "55", "15")
    assert line["lots"] == [{"lot_id": "A-new", "quantity": "30"},
                            {"lot_id": "A-old", "quantity": "25"}]  # fmt: skip
    alerts = (await client.get("/alerts")).json()["shortages"]
    assert [(a["order_id"], a["short"]) for a in alerts] == [("O1", "15")]
    await balances_hold(inv)


async def test_arrival_serves_shortages_by_priority_then_due_date(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    await receive(client, "B", "B-1", "5", day=1)
    await react(
        inv,
        ORDERS.envelope("P-low", order("P-low", {"B": "1"}, priority=4, due_in_days=1)),
        ORDERS.envelope("P-late", order("P-late", {"B": "1"}, priority=1, due_in_days=9)),
        ORDERS.envelope("P-soon", order("P-soon", {"B": "1"}, priority=1, due_in_days=2)),
    )
    assert [(await needs(client, o))[0]["short"] for o in ("P-low", "P-late", "P-soon")] == [
        "5", "10", "10"]  # fmt: skip
    await receive(client, "B", "B-2", "14", day=3)
    shorts = [(await needs(client, o))[0]["short"] for o in ("P-low", "P-late", "P-soon")]
    assert shorts == ["5", "6", "0"]
    await balances_hold(inv)


async def test_amend_and_cancel_adjust_and_release_reservations(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    await receive(client, "C", "C-1", "100", day=1)
    await react(inv, ORDERS.envelope("Q1", order("Q1", {"C": "5"}, quantity=10)))
    await react(inv, ORDERS.envelope("Q2", order("Q2", {"C": "5"}, quantity=10)))
    assert (await needs(client, "Q2"))[0]["short"] == "0"
    await react(inv, ORDERS.envelope("Q1", OrderAmended(order_id="Q1", quantity=16)))
    q1 = (await needs(client, "Q1"))[0]
    assert (q1["required"], q1["reserved"], q1["short"]) == ("80", "50", "30")
    await react(inv, ORDERS.envelope("Q2", OrderAmended(order_id="Q2", quantity=4)))
    assert (await needs(client, "Q2"))[0]["reserved"] == "20"
    assert (await needs(client, "Q1"))[0]["short"] == "0"  # the freed 30 went to Q1
    await react(inv, ORDERS.envelope("Q1", OrderCancelled(order_id="Q1", reason="dup")))
    q1 = (await needs(client, "Q1"))[0]
    assert (q1["reserved"], q1["short"]) == ("0", "0")
    stock = (await client.get("/materials/C")).json()
    assert (stock["reserved"], stock["available"]) == ("20", "80")
    await balances_hold(inv)


async def test_job_completion_backflushes_reserved_lots_and_records_genealogy(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    await receive(client, "D", "D-1", "12", day=1)
    await receive(client, "D", "D-2", "50", day=2)
    await react(inv, ORDERS.envelope("R1", order("R1", {"D": "2"}, quantity=10)))
    await react(inv, JOBS.envelope("J1", done("R1", "J1", good=6, scrap=1)))
    line = (await needs(client, "R1"))[0]
    assert (line["consumed"], line["reserved"], line["short"]) == ("14", "6", "0")
    back = (await client.get("/orders/R1/genealogy")).json()["lots"]
    assert [(x["lot_id"], x["job_id"], x["quantity"]) for x in back] == [
        ("D-1", "J1", "12"), ("D-2", "J1", "2")]  # fmt: skip
    forward = (await client.get("/lots/D-1/genealogy")).json()
    assert forward["orders"] == 1 and forward["consumed_into"][0]["order_id"] == "R1"
    assert forward["consumed_into"][0]["quantity"] == "12"
    assert LotGenealogy.model_validate(forward).consumed_into[0].job_id == "J1"
    await react(inv, JOBS.envelope("J2", done("R1", "J2", good=3)))
    line = (await needs(client, "R1"))[0]
    assert (line["consumed"], line["reserved"]) == ("20", "0")  # 6 needed, 6 were held
    lots = {x["lot_id"]: x for x in (await client.get("/materials/D")).json()["lots"]}
    assert (lots["D-1"]["on_hand"], lots["D-2"]["on_hand"]) == ("0", "42")
    assert (await client.get("/lots/NOPE/genealogy")).status_code == 404
    assert (await client.get("/orders/NOPE/genealogy")).status_code == 404
    await balances_hold(inv)


async def test_quarantine_moves_reservations_to_other_lots_or_shortages(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    await receive(client, "E", "E-1", "10", day=1)
    await receive(client, "E", "E-2", "6", day=2)
    await react(inv, ORDERS.envelope("S1", order("S1", {"E": "1"}, quantity=8)))
    held = await client.post("/lots/E-1/quarantine", json={"reason": "cert missing"})
    assert held.status_code == 200 and held.json()["quarantined"] is True
    assert held.json()["reserved"] == "0" and held.json()["available"] == "0"
    line = (await needs(client, "S1"))[0]
    assert line["lots"] == [{"lot_id": "E-2", "quantity": "6"}] and line["short"] == "2"
    stock = (await client.get("/materials/E")).json()
    assert (stock["quarantined"], stock["available"]) == ("10", "0")
    released = await client.post("/lots/E-1/release", json={"reason": "cert received"})
    assert released.status_code == 200 and released.json()["reserved"] == "2"
    assert (await needs(client, "S1"))[0]["short"] == "0"
    missing = await client.post("/lots/NOPE/quarantine", json={"reason": "x"})
    assert missing.status_code == 404
    await balances_hold(inv)


async def test_count_below_reservations_releases_the_least_urgent_first(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    await receive(client, "F", "F-1", "10", day=1)
    await react(
        inv,
        ORDERS.envelope("U-hi", order("U-hi", {"F": "1"}, quantity=5, priority=1)),
        ORDERS.envelope("U-lo", order("U-lo", {"F": "1"}, quantity=5, priority=5)),
    )
    body = {"material_id": "F", "lot_id": "F-1", "counted_quantity": "7", "reason": "damaged"}
    assert (await client.post("/adjustments", json=body)).json()["delta"] == "-3"
    assert (await needs(client, "U-hi"))[0]["short"] == "0"
    assert (await needs(client, "U-lo"))[0]["short"] == "3"
    await balances_hold(inv)


async def test_below_reorder_point_alert(client: httpx.AsyncClient, inv: Inventory) -> None:
    await client.post("/materials", json={"material_id": "G", "description": "glue", "unit": "l",
                                          "reorder_point": "20", "lead_time_days": 3})  # fmt: skip
    await receive(client, "G", "G-1", "25", day=1)
    assert "G" not in [a["material_id"] for a in (await client.get("/alerts")).json()[
        "below_reorder_point"]]  # fmt: skip
    await react(inv, ORDERS.envelope("V1", order("V1", {"G": "1"}, quantity=10)))
    alert = next(a for a in (await client.get("/alerts")).json()["below_reorder_point"]
                 if a["material_id"] == "G")  # fmt: skip
    assert (alert["available"], alert["reorder_point"], alert["lead_time_days"]) == ("15", "20", 3)


async def test_nonconformance_on_a_lot_holds_it_and_use_as_is_releases_it(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    ncrs = Foreign("mes/quality", "ncr")
    await receive(client, "H", "H-1", "10", day=1)
    await receive(client, "H", "H-2", "10", day=2)
    await react(inv, ORDERS.envelope("N1", order("N1", {"H": "1"}, quantity=15)))
    raised = NonconformanceRaised(
        ncr_id="NCR-1",
        order_id="N1",
        operation_seq=10,
        quantity=1,
        defect_code="cert",
        description="no mill cert",
        lot_id="H-1",
    )
    await react(inv, ncrs.envelope("NCR-1", raised))
    lots = {x["lot_id"]: x for x in (await client.get("/materials/H")).json()["lots"]}
    assert lots["H-1"]["quarantined"] and lots["H-1"]["hold_reason"] == "NCR NCR-1: cert"
    assert (await needs(client, "N1"))[0]["short"] == "5"
    as_is = DispositionDecided(
        ncr_id="NCR-1",
        order_id="N1",
        operation_seq=10,
        decided_by="qa",
        disposition=UseAsIs(kind="use_as_is", justification="cert found"),
    )
    await react(inv, ncrs.envelope("NCR-1", as_is))
    lots = {x["lot_id"]: x for x in (await client.get("/materials/H")).json()["lots"]}
    assert not lots["H-1"]["quarantined"]
    assert (await needs(client, "N1"))[0]["short"] == "0"
    await balances_hold(inv)


async def test_a_job_completion_seen_before_its_order_is_backflushed_when_it_arrives(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    await receive(client, "I", "I-1", "50", day=1)
    await react(inv, JOBS.envelope("JE", done("EARLY", "JE", good=4)))
    assert (await client.get("/orders/EARLY/genealogy")).status_code == 404
    await react(inv, ORDERS.envelope("EARLY", order("EARLY", {"I": "2"}, quantity=10)))
    line = (await needs(client, "EARLY"))[0]
    assert (line["consumed"], line["reserved"], line["short"]) == ("8", "12", "0")
    back = (await client.get("/orders/EARLY/genealogy")).json()["lots"]
    assert [(x["lot_id"], x["job_id"], x["quantity"]) for x in back] == [("I-1", "JE", "8")]
    await balances_hold(inv)


async def test_an_order_for_an_unknown_material_is_short_until_it_is_received(
    client: httpx.AsyncClient, inv: Inventory
) -> None:
    await react(inv, ORDERS.envelope("K1", order("K1", {"NEW-MAT": "2"}, quantity=3)))
    alerts = (await client.get("/alerts")).json()["shortages"]
    assert ("K1", "NEW-MAT", "6") in [(a["order_id"], a["material_id"], a["short"]) for a in alerts]
    await receive(client, "NEW-MAT", "NM-1", "10", day=1)
    assert (await needs(client, "K1"))[0]["short"] == "0"
    await react(
        inv,
        ORDERS.envelope(
            "K1", OrderCompleted(order_id="K1", good_quantity=3, scrap_quantity=0, completed_at=T0)
        ),
    )
    assert (await needs(client, "K1"))[0]["reserved"] == "0"
    assert (await client.get("/materials/NEW-MAT")).json()["available"] == "10"
