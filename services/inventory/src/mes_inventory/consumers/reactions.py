"""The subscription to orders, scheduler and quality events (one runner: no self-contention)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events import topics
from mes_events.catalog.orders import OrderAmended, OrderCancelled, OrderCompleted, OrderReceived
from mes_events.catalog.quality import DispositionDecided, NonconformanceRaised
from mes_events.catalog.scheduler import JobCompleted
from mes_events.envelope import EventEnvelope
from mes_events.service import Subscription
from mes_inventory.application import reactions
from mes_inventory.application.context import Inventory
from mes_inventory.application.stock_tx import StockTx

Reaction = Callable[[StockTx, Any], Awaitable[None]]
REACTIONS: dict[str, Reaction] = {
    OrderReceived.type_name: reactions.order_received,
    OrderAmended.type_name: reactions.order_amended,
    OrderCancelled.type_name: reactions.order_closed,
    OrderCompleted.type_name: reactions.order_closed,
    JobCompleted.type_name: reactions.job_completed,
    NonconformanceRaised.type_name: reactions.nonconformance_raised,
    DispositionDecided.type_name: reactions.disposition_decided,
}


def subscription(inv: Inventory) -> Subscription:
    """React to the events inventory cares about; ignore the rest."""

    async def handle(conn: AsyncConnection, env: EventEnvelope) -> None:
        reaction = REACTIONS.get(env.event_type)
        if reaction is None:
            return
        tx = StockTx(conn, inv.store, inv.meta(env.correlation_id, env.event_id))
        await reaction(tx, env.payload())

    return Subscription("reactions", (topics.ORDERS, topics.SCHEDULER, topics.QUALITY), handle)
