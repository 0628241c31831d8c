"""Helpers for the inventory tests and benchmark: foreign events, reactions, invariants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from mes_events.catalog.common import MaterialRequirement, RoutingOperation
from mes_events.catalog.orders import OrderReceived
from mes_events.envelope import EventEnvelope
from mes_events.store import retry_on_conflict
from mes_events.testing.events import Foreign as ForeignStreams
from mes_inventory.application.context import Inventory
from mes_inventory.consumers.reactions import subscription

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Foreign(ForeignStreams):
    """Another service's streams (mes_events.testing.events.Foreign), dated T0 by default."""

    at: datetime | None = T0


async def react(inv: Inventory, *envelopes: EventEnvelope) -> None:
    """Apply foreign events as the consumer does: the handler inside one transaction, run
    again in a new one on a version conflict (the consumer retries the same way)."""
    handler = subscription(inv).handler

    async def attempt() -> None:
        async with inv.uow.transaction() as conn:
            for env in envelopes:
                await handler(conn, env)

    await retry_on_conflict(attempt)


def order(
    order_id: str,
    materials: dict[str, str | Decimal],
    *,
    quantity: int = 10,
    priority: int = 3,
    due_in_days: int = 5,
    seq: int = 10,
) -> OrderReceived:
    """An order of `quantity` pieces needing `materials` (id -> per unit) at operation `seq`."""
    return OrderReceived(
        order_id=order_id, external_ref=f"ERP-{order_id}", customer="ACME", product="SHAFT",
        quantity=quantity, due_at=T0 + timedelta(days=due_in_days), priority=priority,
        routing=(RoutingOperation(seq=seq, operation="turn", work_center_group="LATHE",
                                  setup_minutes=Decimal(10), run_minutes_per_unit=Decimal(1)),),
        materials=tuple(MaterialRequirement(material_id=m, quantity_per_unit=Decimal(q),
                                            operation_seq=seq) for m, q in materials.items()),
    )  # fmt: skip


async def scalar(inv: Inventory, sql: str, **params: Any) -> Any:
    async with inv.uow.engine.connect() as conn:
        return (await conn.execute(text(sql), params)).scalar()


async def balances_hold(inv: Inventory) -> None:
    """The lot invariants, checked on the stored rows (the CHECKs would refuse them too)."""
    async with inv.uow.engine.connect() as conn:
        bad = (
            await conn.execute(
                text(
                    """
                    SELECT l.lot_id FROM lot l
                    LEFT JOIN (SELECT lot_id, sum(quantity) q FROM reservation GROUP BY lot_id) h
                           ON h.lot_id = l.lot_id
                    WHERE l.on_hand <> l.received + l.adjusted - l.consumed OR l.on_hand < 0
                       OR l.reserved <> coalesce(h.q, 0) OR l.reserved > l.on_hand
                       OR (l.quarantined AND l.reserved > 0)
                    """
                )
            )
        ).all()
    assert bad == []
