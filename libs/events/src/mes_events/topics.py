"""Kafka topic names: one topic per producing service, keyed by stream id."""

from __future__ import annotations

ORDERS = "mes.orders"
INVENTORY = "mes.inventory"
SCHEDULER = "mes.scheduler"
QUALITY = "mes.quality"

TOPICS: dict[str, str] = {
    "orders": ORDERS,
    "inventory": INVENTORY,
    "scheduler": SCHEDULER,
    "quality": QUALITY,
}

# Stream type -> producing service (the envelope carries the stream type in ce_streamtype).
STREAM_TYPES: dict[str, str] = {
    "order": "orders",
    "material": "inventory",
    "lot": "inventory",
    "work_center": "scheduler",
    "plan": "scheduler",
    "job": "scheduler",
    "inspection": "quality",
    "ncr": "quality",
}


def topic_for_source(source: str) -> str:
    """The topic of a service, named plainly ("orders") or as a source ("mes/orders")."""
    # A CloudEvents source is a URI-reference; its last path segment names the service.
    service = source.rstrip("/").rpartition("/")[2]
    try:
        return TOPICS[service]
    except KeyError:
        raise ValueError(f"unknown producing service in source {source!r}") from None


def service_of(type_name: str) -> str:
    """The producing service of an event type: the part before the dot of its wire name."""
    service, dot, _ = type_name.partition(".")
    if not dot:
        raise ValueError(f"event type {type_name!r} is not '<service>.<PastTense>'")
    return service


def topic_for(type_name: str) -> str:
    """The topic an event type travels on, e.g. "orders.OrderReceived" -> "mes.orders"."""
    return topic_for_source(service_of(type_name))


def topic_for_stream_type(stream_type: str) -> str:
    """The topic of a stream type's events, e.g. "lot" -> "mes.inventory"."""
    try:
        return topic_for_source(STREAM_TYPES[stream_type])
    except KeyError:
        raise ValueError(f"unknown stream type {stream_type!r}") from None
