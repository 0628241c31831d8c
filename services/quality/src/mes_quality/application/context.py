"""What every handler needs: the unit of work, the store and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from mes_events.store import EventStore, Metadata
from mes_events.uow import UnitOfWork
from mes_quality.clock import Clock


@dataclass(frozen=True)
class Quality:
    """The service's write-side dependencies."""

    uow: UnitOfWork
    store: EventStore
    clock: Clock

    def meta(
        self, correlation_id: UUID | None = None, causation_id: UUID | None = None
    ) -> Metadata:
        return Metadata(self.clock(), correlation_id or uuid4(), causation_id)
