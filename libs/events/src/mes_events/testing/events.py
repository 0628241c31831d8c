"""Event types used only by tests (registered under the `test.` prefix)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from mes_events.registry import DomainEvent
from mes_events.store import Metadata


class Counted(DomainEvent, type_name="test.Counted", version=1, stream_type="counter"):
    """A counter moved by `n`."""

    n: int


class Renamed(DomainEvent, type_name="test.Renamed", version=1, stream_type="counter"):
    """A counter got a label."""

    label: str


def meta() -> Metadata:
    return Metadata(occurred_at=datetime.now(UTC), correlation_id=uuid4())
