"""The planner's subscription: orders, inventory, quality, and our own floor events."""

from __future__ import annotations

from mes_events import topics
from mes_events.service import Subscription
from mes_scheduler.application.planner import Planner


def subscription(planner: Planner) -> Subscription:
    """One consumer group per plant for every input of the plan, so inputs apply one at a time.

    Every plant's scheduler reads the whole topics (its own group); the planner drops what
    concerns other plants (`domain/plant_scope.py`).
    """
    return Subscription(
        planner.sch.settings.planner_name,
        (topics.ORDERS, topics.INVENTORY, topics.QUALITY, topics.SCHEDULER),
        planner.handle,
    )
