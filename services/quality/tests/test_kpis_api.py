"""GET /kpis: first-pass yield per product and work center, defect Pareto, open NCR ages."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mes_quality.application.context import Quality
from mes_quality.testing import T0, FakeClock, open_inspection, results

pytestmark = pytest.mark.integration
approx = pytest.approx


async def judge(
    q: Quality, client: httpx.AsyncClient, job_id: str, diameters: list[str], **body: Any
) -> str | None:
    center = "GRIND-2" if job_id.endswith("g2") else "GRIND-1"
    ins = await open_inspection(q, client, "K1", job_id, product="K-A", work_center=center)
    r = await client.post(f"/inspections/{ins}/results", json=results(diameters, **body))
    assert r.status_code == 200, r.text
    ncr: str | None = r.json()["ncr_id"]
    return ncr


async def test_kpis(q: Quality, client: httpx.AsyncClient, clock: FakeClock) -> None:
    empty = (await client.get("/kpis")).json()
    assert empty["defect_pareto"] == [] and empty["open_ncrs"]["count"] == 0
    # GRIND-1: pass; fail on 1 piece (BURR twice); fail on 2 pieces (no code); GRIND-2: pass
    await judge(q, client, "j1", ["10", "10", "10"])
    clock.now = T0
    burr = await judge(q, client, "j2", ["10.1", "10", "10"], defect_codes=["BURR", "BURR"])
    clock.advance(hours=1)
    await judge(q, client, "j3", ["10.1", "10.1", "10"])  # its NCR opens at T0 + 1 h
    await judge(q, client, "j4-g2", ["10", "10", "10"])
    clock.advance(hours=1)
    manual = {
        "order_id": "K1",
        "operation_seq": 10,
        "quantity": 1,
        "defect_code": "DENT",
        "description": "dropped",
    }
    assert (await client.post("/ncrs", json=manual)).status_code == 201  # opens at T0 + 2 h
    body = {"disposition": {"kind": "scrap", "quantity": 1}, "decided_by": "qa"}
    assert (await client.post(f"/ncrs/{burr}/disposition", json=body)).status_code == 200
    clock.advance(hours=2)  # now T0 + 4 h
    k = (await client.get("/kpis")).json()
    fpy = k["first_pass_yield"]
    pairs = {(y["product"], y["work_center_id"]): y for y in fpy["by_product_and_work_center"]}
    g1 = pairs[("K-A", "GRIND-1")]
    # 3 inspections, 1 passed; 9 sampled pieces, 3 failed (1 + 2)
    assert (g1["inspections"], g1["passed"], g1["sampled_pieces"], g1["failed_pieces"]) == (
        3,
        1,
        9,
        3,
    )
    assert (g1["first_pass_yield"], g1["piece_yield"]) == approx((1 / 3, 6 / 9))
    assert pairs[("K-A", "GRIND-2")]["first_pass_yield"] == 1.0
    assert [(y["product"], y["inspections"], y["first_pass_yield"]) for y in fpy["by_product"]] == [
        ("K-A", 4, 0.5)
    ]
    by_center = [(y["work_center_id"], y["passed"]) for y in fpy["by_work_center"]]
    assert by_center == [("GRIND-1", 1), ("GRIND-2", 1)]
    # BURR 2, DENT 1 (by hand), OUT_OF_TOLERANCE 1 (failure without a code): 4 defects
    assert [
        (b["defect_code"], b["count"], b["percent"], b["cumulative_percent"])
        for b in k["defect_pareto"]
    ] == [("BURR", 2, 50, 50), ("DENT", 1, 25, 75), ("OUT_OF_TOLERANCE", 1, 25, 100)]
    # open: j3's NCR (raised T0 + 1 h) and the manual one (T0 + 2 h); now T0 + 4 h
    assert k["open_ncrs"] == {"count": 2, "oldest_age_hours": 3.0, "mean_age_hours": 2.5}
    later = (await client.get("/kpis", params={"since": (T0.replace(hour=7)).isoformat()})).json()
    assert [b["defect_code"] for b in later["defect_pareto"]] == ["DENT", "OUT_OF_TOLERANCE"]
