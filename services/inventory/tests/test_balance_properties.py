"""Random sequences of receipts, orders, amendments, cancellations, completions, holds and
counts against PostgreSQL; after every step the balances are checked against the store."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from mes_events.catalog.inventory import (
    LotQuarantined,
    LotReleased,
    MaterialArrived,
    MaterialConsumed,
    MaterialReserved,
    StockAdjusted,
)
from mes_events.catalog.orders import OrderAmended, OrderCancelled
from mes_events.catalog.scheduler import JobCompleted
from mes_events.db import make_engine
from mes_events.store import EventStore
from mes_events.uow import UnitOfWork
from mes_inventory.application import handlers
from mes_inventory.application.context import Inventory
from mes_inventory.application.stock_tx import lot_stream
from mes_inventory.domain.events import ReservationReleased
from mes_inventory.domain.lot import ReceiveMaterial
from mes_inventory.testing import T0, FakeClock, Foreign, balances_hold, order, react

pytestmark = pytest.mark.integration
ZERO = Decimal(0)
MATS = ("X", "Y")
index = st.integers(0, 99)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), st.sampled_from(MATS), st.integers(1, 40), st.integers(0, 9)),
        st.tuples(st.just("order"), st.sampled_from(MATS), st.integers(1, 4), st.integers(1, 8),
                  st.integers(1, 5)),
        st.tuples(st.just("amend"), index, st.integers(1, 8)),
        st.tuples(st.just("cancel"), index),
        st.tuples(st.just("complete"), index, st.integers(0, 8), st.integers(0, 3)),
        st.tuples(st.just("hold"), index),
        st.tuples(st.just("release"), index),
        st.tuples(st.just("count"), index, st.integers(0, 50)),
    ),
    min_size=1,
    max_size=25,
)  # fmt: skip


class Scenario:
    """One example's world: its own ids, so examples share the database but not their stock."""

    def __init__(self, inv: Inventory) -> None:
        self.inv, self.p = inv, uuid4().hex[:6]
        self.orders: list[str] = []
        self.lots: list[str] = []
        self.foreign = Foreign("mes/orders", "order")
        self.jobs = Foreign("mes/scheduler", "job")

    def pick(self, items: list[str], i: int) -> str | None:
        return items[i % len(items)] if items else None

    async def run(self, step: tuple[Any, ...]) -> None:
        kind, *args = step
        await getattr(self, kind)(*args)

    async def receive(self, m: str, qty: int, day: int) -> None:
        lot = f"{self.p}-L{len(self.lots)}"
        cmd = ReceiveMaterial(lot, f"{self.p}-{m}", Decimal(qty), None, T0 + timedelta(days=day))
        await handlers.receive(self.inv, handlers.Receipt(cmd, auto_register=True))
        self.lots.append(lot)

    async def order(self, m: str, per_unit: int, qty: int, priority: int) -> None:
        o = f"{self.p}-O{len(self.orders)}"
        placed = order(o, {f"{self.p}-{m}": Decimal(per_unit)}, quantity=qty, priority=priority)
        await react(self.inv, self.foreign.envelope(o, placed))
        self.orders.append(o)

    async def amend(self, i: int, qty: int) -> None:
        if o := self.pick(self.orders, i):
            await react(self.inv, self.foreign.envelope(o, OrderAmended(order_id=o, quantity=qty)))

    async def cancel(self, i: int) -> None:
        if o := self.pick(self.orders, i):
            await react(self.inv, self.foreign.envelope(o, OrderCancelled(order_id=o, reason="x")))

    async def complete(self, i: int, good: int, scrap: int) -> None:
        if o := self.pick(self.orders, i):
            job = f"{o}-J{uuid4().hex[:4]}"
            done = JobCompleted(
                job_id=job, order_id=o, operation_seq=10, work_center_id="W",
                good_quantity=good, scrap_quantity=scrap, actual_minutes=ZERO, operator="op",
                completed_at=T0,
            )  # fmt: skip
            await react(self.inv, self.jobs.envelope(job, done))

    async def hold(self, i: int) -> None:
        if lot := self.pick(self.lots, i):
            await handlers.hold_lot(self.inv, lot, "hold", held=True)

    async def release(self, i: int) -> None:
        if lot := self.pick(self.lots, i):
            await handlers.hold_lot(self.inv, lot, "ok", held=False)

    async def count(self, i: int, counted: int) -> None:
        if lot := self.pick(self.lots, i):
            material = await self._material_of(lot)
            await handlers.count_lot(self.inv, lot, material, Decimal(counted), "count")

    async def _material_of(self, lot: str) -> str:
        async with self.inv.uow.engine.connect() as conn:
            q = text("SELECT material_id FROM lot WHERE lot_id = :l")
            return str((await conn.execute(q, {"l": lot})).scalar_one())


async def folded_from_store(inv: Inventory, lot_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each lot's balance recomputed from its stored stream alone."""
    lots: dict[str, dict[str, Any]] = {}
    async with inv.uow.engine.connect() as conn:
        for lot_id in lot_ids:
            b: dict[str, Any] = {"on_hand": ZERO, "reserved": ZERO, "quarantined": False}
            for env in await inv.store.read_stream(conn, lot_stream(lot_id)):
                match e := env.payload():
                    case MaterialArrived():
                        b["on_hand"] += e.quantity
                    case StockAdjusted():
                        b["on_hand"] += e.delta
                    case MaterialConsumed():
                        b["on_hand"] -= e.quantity
                        b["reserved"] -= e.reserved_quantity or ZERO
                    case MaterialReserved():
                        b["reserved"] += e.quantity
                    case ReservationReleased():
                        b["reserved"] -= e.quantity
                    case LotQuarantined() | LotReleased():
                        b["quarantined"] = isinstance(e, LotQuarantined)
            lots[lot_id] = b
    return lots


_ROWS = text("SELECT lot_id, on_hand, reserved, quarantined FROM lot WHERE lot_id LIKE :p || '%'")
_REQUIREMENTS = text(
    """
    SELECT r.order_id, d.status, r.required, coalesce(u.reserved, 0), coalesce(u.consumed, 0),
           (SELECT coalesce(sum(on_hand - reserved) FILTER (WHERE NOT quarantined), 0)
            FROM lot l WHERE l.material_id = r.material_id) AS available
    FROM requirement r JOIN demand d USING (order_id)
    LEFT JOIN order_material u USING (order_id, operation_seq, material_id)
    WHERE r.order_id LIKE :p || '%'
    """
)


async def check(inv: Inventory, prefix: str, lot_ids: list[str]) -> None:
    await balances_hold(inv)
    expected = await folded_from_store(inv, lot_ids)
    async with inv.uow.engine.connect() as conn:
        rows = (await conn.execute(_ROWS, {"p": prefix})).all()
        reqs = (await conn.execute(_REQUIREMENTS, {"p": prefix})).all()
    assert {r[0]: {"on_hand": r[1], "reserved": r[2], "quarantined": r[3]} for r in rows} == (
        expected
    )
    for lot_id, on_hand, reserved, quarantined in rows:
        assert on_hand >= 0, lot_id
        assert reserved <= on_hand - (on_hand if quarantined else 0), lot_id
    for order_id, status, required, reserved, consumed, available in reqs:
        if status == "open":
            assert reserved <= max(required - consumed, ZERO), order_id
            if required > reserved + consumed:
                assert available == 0, f"{order_id} short while stock is free"
        else:
            assert reserved == 0, order_id


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_balance_holds_after_every_step(db_url: str, steps: list[tuple[Any, ...]]) -> None:
    async def scenario() -> None:
        engine = make_engine(db_url, pool_size=2)
        inv = Inventory(UnitOfWork(engine, size=2), EventStore("mes/inventory"), FakeClock())
        world = Scenario(inv)
        try:
            for step in steps:
                await world.run(step)
                await check(inv, world.p, world.lots)
        finally:
            await inv.uow.close()
            await engine.dispose()

    asyncio.run(scenario())
