"""The event envelope and its CloudEvents 1.0 Kafka binding (binary content mode)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from mes_events import tracing
from mes_events.registry import REGISTRY, DomainEvent
from mes_events.upcasting import upcast

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

# CloudEvents Kafka protocol binding: attributes travel as `ce_<name>` headers; extension
# names must be lower-case alphanumeric, hence `streamversion`, not `stream_version`.
H_ID, H_SOURCE, H_TYPE, H_SPEC, H_TIME, H_SUBJECT = (
    "ce_id",
    "ce_source",
    "ce_type",
    "ce_specversion",
    "ce_time",
    "ce_subject",
)
H_STREAM_TYPE, H_STREAM_VERSION, H_SCHEMA_VERSION = (
    "ce_streamtype",
    "ce_streamversion",
    "ce_schemaversion",
)
H_CORRELATION, H_CAUSATION, H_POSITION = "ce_correlationid", "ce_causationid", "ce_position"
H_CONTENT_TYPE = "content-type"
# W3C Trace Context travels under its own name, as OpenTelemetry's Kafka instrumentations
# expect, rather than as a `ce_` attribute.
H_TRACEPARENT = tracing.HEADER

REQUIRED_HEADERS = (H_ID, H_SOURCE, H_TYPE, H_SPEC, H_TIME, H_SUBJECT, H_STREAM_VERSION)

Headers = list[tuple[str, bytes]]


class MalformedMessage(ValueError):
    """A Kafka message that cannot be read as an event (missing headers, bad JSON, bad values)."""


@dataclass(frozen=True, slots=True)
class EventEnvelope:
    """One stored event with its metadata; the unit that travels on Kafka."""

    event_id: UUID
    event_type: str
    schema_version: int
    source: str
    stream_type: str
    stream_id: str
    stream_version: int
    occurred_at: datetime
    correlation_id: UUID
    causation_id: UUID | None
    data: dict[str, Any] = field(repr=False)
    position: int | None = None
    traceparent: str | None = None

    def payload(self) -> DomainEvent:
        """The payload as the current version of its model (upcast on read, tolerant of extras)."""
        model = REGISTRY.model(self.event_type)
        data = upcast(self.event_type, self.schema_version, self.data, model.version)
        known = {k: v for k, v in data.items() if k in model.model_fields}
        return model.model_validate(known)

    def headers(self) -> Headers:
        """CloudEvents attributes as Kafka headers."""
        pairs = [
            (H_ID, str(self.event_id)),
            (H_SOURCE, self.source),
            (H_TYPE, self.event_type),
            (H_SPEC, SPEC_VERSION),
            (H_TIME, self.occurred_at.isoformat()),
            (H_SUBJECT, self.stream_id),
            (H_STREAM_TYPE, self.stream_type),
            (H_STREAM_VERSION, str(self.stream_version)),
            (H_SCHEMA_VERSION, str(self.schema_version)),
            (H_CORRELATION, str(self.correlation_id)),
            (H_CONTENT_TYPE, CONTENT_TYPE),
        ]
        if self.causation_id is not None:
            pairs.append((H_CAUSATION, str(self.causation_id)))
        if self.position is not None:
            pairs.append((H_POSITION, str(self.position)))
        if self.traceparent is not None:
            pairs.append((H_TRACEPARENT, self.traceparent))
        return [(k, v.encode()) for k, v in pairs]

    def value(self) -> bytes:
        return orjson.dumps(self.data)

    @classmethod
    def from_kafka(cls, headers: Headers | None, value: bytes | None) -> EventEnvelope:
        """Rebuild an envelope from a Kafka record; raises MalformedMessage on anything off."""
        h: dict[str, str] = {}
        for key, raw in headers or ():
            try:
                h[key] = raw.decode() if raw is not None else ""
            except UnicodeDecodeError as exc:
                raise MalformedMessage(f"header {key} is not UTF-8") from exc
        missing = [name for name in REQUIRED_HEADERS if not h.get(name)]
        if missing:
            raise MalformedMessage(f"missing CloudEvents headers: {', '.join(missing)}")
        if h[H_SPEC] != SPEC_VERSION:
            raise MalformedMessage(f"unsupported specversion {h[H_SPEC]!r}")
        try:
            data = orjson.loads(value or b"")
        except orjson.JSONDecodeError as exc:
            raise MalformedMessage(f"value is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise MalformedMessage("value is not a JSON object")
        try:
            return cls(
                event_id=UUID(h[H_ID]),
                event_type=h[H_TYPE],
                schema_version=int(h.get(H_SCHEMA_VERSION) or 1),
                source=h[H_SOURCE],
                stream_type=h.get(H_STREAM_TYPE, ""),
                stream_id=h[H_SUBJECT],
                stream_version=int(h[H_STREAM_VERSION]),
                occurred_at=datetime.fromisoformat(h[H_TIME]),
                correlation_id=UUID(h[H_CORRELATION]) if h.get(H_CORRELATION) else UUID(h[H_ID]),
                causation_id=UUID(h[H_CAUSATION]) if h.get(H_CAUSATION) else None,
                data=data,
                position=int(h[H_POSITION]) if h.get(H_POSITION) else None,
                # A malformed traceparent loses the trace, never the event.
                traceparent=_valid_traceparent(h.get(H_TRACEPARENT)),
            )
        except ValueError as exc:
            raise MalformedMessage(f"bad attribute value: {exc}") from exc


def _valid_traceparent(raw: str | None) -> str | None:
    parsed = tracing.TraceParent.parse(raw)
    return None if parsed is None else str(parsed)
