"""The event catalog: importing this package registers every event type in REGISTRY."""

from mes_events.catalog import inventory, orders, quality, scheduler

__all__ = ["inventory", "orders", "quality", "scheduler"]
