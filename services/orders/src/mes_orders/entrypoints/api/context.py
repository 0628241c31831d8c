"""What the routes need from the running service, as one typed FastAPI dependency."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from mes_events.service import ServiceRuntime
from mes_events.store import Metadata
from mes_orders.application.intake import Intake
from mes_orders.clock import Clock

CORRELATION_HEADER = "X-Correlation-ID"


@dataclass(frozen=True)
class OrdersContext:
    runtime: ServiceRuntime
    intake: Intake
    clock: Clock

    def meta(self, request: Request) -> Metadata:
        """Metadata of a request's events: now, and the caller's correlation id if it sent one."""
        return Metadata(occurred_at=self.clock(), correlation_id=correlation_id(request))


def correlation_id(request: Request) -> uuid.UUID:
    raw = request.headers.get(CORRELATION_HEADER)
    if raw:
        try:
            return uuid.UUID(raw)
        except ValueError:
            pass  # not a UUID: start a new chain rather than refuse the order
    return uuid.uuid4()


def context_of(request: Request) -> OrdersContext:
    """The running service's context (the create route reads it directly: no dependency)."""
    ctx: OrdersContext = request.app.state.orders
    return ctx


async def _context(request: Request) -> OrdersContext:
    # async: FastAPI runs a plain `def` dependency in a worker thread, on every request.
    return context_of(request)


Ctx = Annotated[OrdersContext, Depends(_context)]
