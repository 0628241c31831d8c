"""W3C Trace Context (`traceparent`) carried from REST into events, Kafka and back.

Why hand-rolled rather than opentelemetry-api: without an SDK the API's tracer cannot start a
span of its own (it hands back the caller's span context), and the format is one line of hex.
A process that installs the OpenTelemetry SDK can still read the ids from logs, events and
the `traceparent` Kafka header, which is what its Kafka instrumentations read too.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Iterator
from contextvars import ContextVar, Token
from dataclasses import dataclass

HEADER = "traceparent"

# version-traceid-parentid-flags, lower-case hex; a later version may append fields after a dash.
_FORMAT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_ZERO_TRACE, _ZERO_SPAN = "0" * 32, "0" * 16


@dataclass(frozen=True, slots=True)
class TraceParent:
    """One span's place in a trace: the trace id, this span's id and the trace flags."""

    trace_id: str
    span_id: str
    flags: str = "01"

    @classmethod
    def parse(cls, raw: str | None) -> TraceParent | None:
        """The header's value, or None when absent or invalid (the spec says: start a new trace)."""
        if not raw:
            return None
        match = _FORMAT.fullmatch(raw.strip())
        if match is None:
            return None
        version, trace_id, span_id, flags, rest = match.groups()
        if version == "ff" or (version == "00" and rest is not None):
            return None
        if trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN:
            return None
        return cls(trace_id, span_id, flags)

    @classmethod
    def new(cls) -> TraceParent:
        """The root span of a new trace (sampled)."""
        return cls(secrets.token_hex(16), secrets.token_hex(8))

    def child(self) -> TraceParent:
        """A new span of the same trace whose parent is this one."""
        return TraceParent(self.trace_id, secrets.token_hex(8), self.flags)

    def __str__(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


_CURRENT: ContextVar[TraceParent | None] = ContextVar("mes_traceparent", default=None)


def current() -> TraceParent | None:
    """The span this task works in (set by the API middleware and the consumer)."""
    return _CURRENT.get()


def current_header() -> str | None:
    """The current span as a `traceparent` value, for the metadata of events appended now."""
    span = _CURRENT.get()
    return None if span is None else str(span)


def continue_from(parent: TraceParent | str | None) -> TraceParent:
    """A span continuing `parent`'s trace, or the root of a new trace when there is none."""
    if isinstance(parent, str):
        parent = TraceParent.parse(parent)
    return TraceParent.new() if parent is None else parent.child()


def enter(current_span: TraceParent) -> Token[TraceParent | None]:
    """Make `current_span` the current one until `leave` with the returned token."""
    return _CURRENT.set(current_span)


def leave(token: Token[TraceParent | None]) -> None:
    """Make the span before the matching `enter` current again."""
    _CURRENT.reset(token)


@contextlib.contextmanager
def span(current_span: TraceParent) -> Iterator[TraceParent]:
    """Make `current_span` the current one inside the block."""
    token = enter(current_span)
    try:
        yield current_span
    finally:
        leave(token)
