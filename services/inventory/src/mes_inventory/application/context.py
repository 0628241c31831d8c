"""What every handler needs: the unit of work, the store, the clock, and a retry on conflict."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID, uuid4

from mes_events.store import ConcurrencyError, EventStore, Metadata
from mes_events.uow import UnitOfWork
from mes_inventory.clock import Clock

T = TypeVar("T")
ATTEMPTS = 3


@dataclass(frozen=True)
class Inventory:
    """The service's write-side dependencies."""

    uow: UnitOfWork
    store: EventStore
    clock: Clock

    def meta(
        self, correlation_id: UUID | None = None, causation_id: UUID | None = None
    ) -> Metadata:
        return Metadata(self.clock(), correlation_id or uuid4(), causation_id)


async def retrying(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run a whole transaction again on a version conflict, up to 3 times; then it is a 409."""
    for n in range(1, ATTEMPTS + 1):
        try:
            return await attempt()
        except ConcurrencyError:
            if n == ATTEMPTS:
                raise
    raise AssertionError("unreachable")
