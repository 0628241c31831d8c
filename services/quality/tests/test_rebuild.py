"""The quality read model rebuilt from the store equals the one the write path kept live."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from mes_events.projection import rebuild
from mes_quality.adapters.tables import BOARD_TABLES
from mes_quality.application.context import Quality
from mes_quality.projections.board import QualityBoard
from mes_quality.testing import open_inspection, results

pytestmark = pytest.mark.integration


async def snapshot(q: Quality) -> dict[str, list[Any]]:
    async with q.uow.engine.connect() as conn:
        return {
            t.name: sorted(
                map(tuple, (await conn.execute(text(f"SELECT * FROM {t.name}"))).all()), key=repr
            )
            for t in BOARD_TABLES
        }


async def test_rebuild_equals_live(q: Quality, client: httpx.AsyncClient) -> None:
    passed = await open_inspection(q, client, "R1", "R1-a")
    failed = await open_inspection(q, client, "R1", "R1-b")
    await open_inspection(q, client, "R1", "R1-c")  # stays open
    await client.post(f"/inspections/{passed}/results", json=results(["10"] * 3))
    r = await client.post(
        f"/inspections/{failed}/results",
        json=results(["10.5", "10", "10"], defect_codes=["BURR", "BURR"], lot_id="L-1"),
    )
    ncr_id = r.json()["ncr_id"]
    body = {"disposition": {"kind": "scrap", "quantity": 3}, "decided_by": "qa"}
    assert (await client.post(f"/ncrs/{ncr_id}/disposition", json=body)).status_code == 200
    manual = {
        "order_id": "R1",
        "operation_seq": 10,
        "quantity": 1,
        "defect_code": "DENT",
        "description": "dropped",
    }
    assert (await client.post("/ncrs", json=manual)).status_code == 201
    live = await snapshot(q)
    assert len(live["inspection_v1"]) == 3 and len(live["ncr_v1"]) == 2
    assert len(live["measurement_v1"]) == 12
    await rebuild(q.uow, q.store, QualityBoard())
    assert await snapshot(q) == live
