"""The stock read model rebuilt from the store equals the one the write path kept live."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from mes_events.catalog.orders import OrderCancelled
from mes_events.catalog.scheduler import JobCompleted
from mes_events.projection import rebuild
from mes_inventory.adapters.tables import STOCK_TABLES
from mes_inventory.application import handlers
from mes_inventory.application.context import Inventory
from mes_inventory.domain.lot import ReceiveMaterial
from mes_inventory.projections.stock import StockProjection
from mes_inventory.testing import T0, Foreign, order, react

pytestmark = pytest.mark.integration


async def snapshot(inv: Inventory) -> dict[str, list[Any]]:
    async with inv.uow.engine.connect() as conn:
        return {
            t.name: sorted(
                map(tuple, (await conn.execute(text(f"SELECT * FROM {t.name}"))).all()), key=repr
            )
            for t in STOCK_TABLES
        }


async def test_rebuild_equals_live(inv: Inventory) -> None:
    orders, jobs = Foreign("mes/orders", "order"), Foreign("mes/scheduler", "job")
    for i, qty in enumerate((40, 25, 60)):
        cmd = ReceiveMaterial(f"R-{i}", "RB", Decimal(qty), "S", T0 + timedelta(days=i))
        await handlers.receive(inv, handlers.Receipt(cmd, auto_register=True))
    for i in range(6):
        await react(inv, orders.envelope(f"RO{i}", order(f"RO{i}", {"RB": "3"}, quantity=7)))
    await handlers.hold_lot(inv, "R-1", "suspect", held=True)
    await handlers.count_lot(inv, "R-0", "RB", Decimal(33), "count")
    await react(inv, orders.envelope("RO2", OrderCancelled(order_id="RO2", reason="x")))
    done = JobCompleted(job_id="RJ", order_id="RO0", operation_seq=10, work_center_id="W",
                        good_quantity=6, scrap_quantity=1, actual_minutes=Decimal(5),
                        operator="op", completed_at=T0)  # fmt: skip
    await react(inv, jobs.envelope("RJ", done))
    await handlers.hold_lot(inv, "R-1", "cleared", held=False)
    live = await snapshot(inv)
    assert live["consumption"] and live["reservation"]
    await rebuild(inv.uow, inv.store, StockProjection())
    assert await snapshot(inv) == live
