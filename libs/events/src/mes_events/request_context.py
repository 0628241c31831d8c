"""Per-request context of every API: correlation id, W3C trace, logs and latency.

- `X-Correlation-Id` comes in or is made here, and goes back out. A request without one gets
  a new id written into its headers, so the routes' own reading of the header (which becomes
  the correlation id of the events they append) sees the same id the response reports.
- `traceparent` comes in (or a trace starts here); the request runs in a child span of it,
  which the events it appends carry in their metadata, and which goes back out.
- Latency is observed per route template when the response starts (for an event stream, the
  time to open it, not how long it stayed open).

Plain ASGI rather than BaseHTTPMiddleware: no extra task and no body buffering per request.
"""

from __future__ import annotations

import time
import uuid

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mes_events import tracing
from mes_events.logs import bound

CORRELATION_HEADER = b"x-correlation-id"
TRACEPARENT_HEADER = tracing.HEADER.encode()
UNMATCHED = "<unmatched>"

HTTP_LATENCY = Histogram(
    "mes_http_request_duration_seconds",
    "time from request to response start, per route template",
    ["service", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class RequestContext:
    """ASGI middleware giving each HTTP request its correlation id, span, logs and timing."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app, self.service = app, service
        # One histogram child per (method, route, status), found once: `labels()` builds and
        # hashes its key on every call.
        self._latency: dict[tuple[str, str, int], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation = parent = None
        # ASGI servers give header names in lower case; the first of a repeated one counts.
        for key, value in scope["headers"]:
            if key == CORRELATION_HEADER and correlation is None:
                correlation = value.decode("latin-1")
            elif key == TRACEPARENT_HEADER and parent is None:
                parent = value.decode("latin-1")
        if not correlation:
            correlation = str(uuid.uuid4())
            scope["headers"] = [*scope["headers"], (CORRELATION_HEADER, correlation.encode())]
        span = tracing.continue_from(parent)
        echoed = [
            (CORRELATION_HEADER, correlation.encode()),
            (TRACEPARENT_HEADER, str(span).encode()),
        ]
        started = time.perf_counter()
        responded = False

        async def send_with_context(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
                message["headers"] = [*message.get("headers", ()), *echoed]
                self._observe(scope, message["status"], time.perf_counter() - started)
            await send(message)

        with bound(correlation, span):
            try:
                await self.app(scope, receive, send_with_context)
            except Exception:
                if not responded:  # the server turns it into a 500 outside this middleware
                    self._observe(scope, 500, time.perf_counter() - started)
                raise

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or UNMATCHED
        key = (scope["method"], template, status)
        child = self._latency.get(key)
        if child is None:
            child = HTTP_LATENCY.labels(self.service, key[0], template, str(status))
            self._latency[key] = child
        child.observe(seconds)
