"""Concurrent reservations on PostgreSQL never over-reserve a lot or a material."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from mes_inventory.application import handlers
from mes_inventory.application.context import Inventory
from mes_inventory.domain.lot import ReceiveMaterial
from mes_inventory.testing import T0, Foreign, balances_hold, order, react, scalar

pytestmark = pytest.mark.integration

ORDERS = Foreign("mes/orders", "order")


async def receive(
    inv: Inventory, lot: str, qty: int, day: int, key: str | None = None
) -> tuple[object, bool]:
    cmd = ReceiveMaterial(lot, "K", Decimal(qty), None, T0 + timedelta(days=day))
    r = handlers.Receipt(cmd, auto_register=True, idempotency_key=key, request_hash=lot)
    return await handlers.receive(inv, r)


async def test_concurrent_orders_counts_and_receipts_never_over_reserve(inv: Inventory) -> None:
    for i in range(4):
        await receive(inv, f"K-{i}", 25, day=i)
    orders = [ORDERS.envelope(f"W{i}", order(f"W{i}", {"K": "1"}, quantity=5)) for i in range(40)]
    counts = [
        handlers.count_lot(inv, f"K-{i % 4}", "K", Decimal(20 - i), "recount") for i in range(4)
    ]
    late = [receive(inv, f"K-late-{i}", 3, day=9) for i in range(5)]
    await asyncio.gather(*(react(inv, env) for env in orders), *counts, *late)
    await balances_hold(inv)
    on_hand = await scalar(inv, "SELECT sum(on_hand) FROM lot WHERE material_id = 'K'")
    reserved = await scalar(inv, "SELECT sum(reserved) FROM order_material WHERE material_id='K'")
    # 4 lots of 25 counted down to 20, 19, 18, 17, plus 5 late lots of 3: 89 on hand, and
    # 40 orders needing 5 each (200) take all of it, never more.
    assert on_hand == Decimal(89)
    assert reserved == Decimal(89)
    async with inv.uow.engine.connect() as conn:
        over = await conn.execute(
            text(
                "SELECT r.order_id FROM requirement r JOIN order_material u USING"
                " (order_id, operation_seq, material_id) WHERE u.reserved > r.required"
            )
        )
        assert over.all() == []


async def test_concurrent_receipts_with_one_idempotency_key_store_one_lot(
    inv: Inventory,
) -> None:
    results = await asyncio.gather(
        *(receive(inv, "K-once", 10, day=1, key="same-key") for _ in range(8)),
        return_exceptions=True,
    )
    answers = [r for r in results if isinstance(r, tuple)]
    assert len(answers) == 8, results
    assert sum(1 for _, replayed in answers if not replayed) == 1
    assert await scalar(inv, "SELECT count(*) FROM stored_event WHERE stream_id = 'lot-K-once'")
