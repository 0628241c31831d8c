"""The planner's subscription: orders, inventory, quality, and our own floor events."""

from __future__ import annotations

from mes_events import topics
from mes_events.service import Subscription
from mes_scheduler.application.planner import Planner


def subscription(planner: Planner) -> Subscription:
    """One consumer group for every input of the plan, so inputs apply one at a time."""
    return Subscription(
        "planner",
        (topics.ORDERS, topics.INVENTORY, topics.QUALITY, topics.SCHEDULER),
        planner.handle,
    )
