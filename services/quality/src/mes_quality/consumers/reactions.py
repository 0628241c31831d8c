"""The subscription to the orders and scheduler topics (one runner: no self-contention)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events import topics
from mes_events.catalog.orders import OrderReceived
from mes_events.catalog.scheduler import JobCompleted
from mes_events.envelope import EventEnvelope
from mes_events.service import Subscription
from mes_quality.application import reactions
from mes_quality.application.context import Quality

HANDLED = frozenset({OrderReceived.type_name, JobCompleted.type_name})


def subscription(q: Quality) -> Subscription:
    """React to the events quality cares about; ignore the rest."""

    async def handle(conn: AsyncConnection, env: EventEnvelope) -> None:
        if env.event_type not in HANDLED:
            return
        match env.payload():
            case OrderReceived() as e:
                await reactions.order_received(conn, q, e)
            case JobCompleted() as e:
                await reactions.job_completed(conn, q, e, env.event_id, env.correlation_id)

    return Subscription("reactions", (topics.ORDERS, topics.SCHEDULER), handle)
