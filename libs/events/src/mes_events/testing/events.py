"""Event types used only by tests (registered under the `test.` prefix)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import uuid4

from mes_events.envelope import EventEnvelope
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


@dataclass
class Foreign:
    """Another service's streams: numbers each one's events as that service's store would."""

    source: str
    stream_type: str | None = None  # None: each event's own
    at: datetime | None = None  # when the events happened; None: when each envelope is made
    versions: dict[str, int] = field(default_factory=dict)

    def envelope(
        self, stream_id: str, event: DomainEvent, at: datetime | None = None
    ) -> EventEnvelope:
        """The stream's next event, as the relay would publish it."""
        version = self.versions.get(stream_id, 0) + 1
        self.versions[stream_id] = version
        return EventEnvelope(
            event_id=uuid4(),
            event_type=event.type_name,
            schema_version=event.version,
            source=self.source,
            stream_type=self.stream_type or event.stream_type,
            stream_id=stream_id,
            stream_version=version,
            occurred_at=at or self.at or datetime.now(UTC),
            correlation_id=uuid4(),
            causation_id=None,
            data=event.model_dump(mode="json"),
        )
