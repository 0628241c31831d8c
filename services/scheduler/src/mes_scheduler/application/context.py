"""What every command handler needs: the unit of work, the store, the clock and settings."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from mes_events.store import EventStore, Metadata
from mes_events.uow import UnitOfWork
from mes_scheduler.clock import Clock
from mes_scheduler.config import Settings


@dataclass(frozen=True)
class Scheduler:
    """The service's write-side dependencies."""

    uow: UnitOfWork
    store: EventStore
    clock: Clock
    settings: Settings

    def meta(
        self, correlation_id: UUID | None = None, causation_id: UUID | None = None
    ) -> Metadata:
        return Metadata(self.clock(), correlation_id or uuid4(), causation_id)
