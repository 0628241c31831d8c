"""The stock of one material, lot by lot: the state reservation decisions are made on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from mes_events.catalog.inventory import (
    MATERIAL,
    LotQuarantined,
    LotReleased,
    MaterialArrived,
    MaterialConsumed,
    MaterialReserved,
    StockAdjusted,
)
from mes_events.registry import DomainEvent
from mes_inventory.domain.events import ReservationReleased

ZERO = Decimal(0)


@dataclass(slots=True)
class Lot:
    """One lot's balance; `version` is its stream's version (for optimistic appends)."""

    lot_id: str
    material_id: str
    received_at: datetime
    on_hand: Decimal
    reserved: Decimal = ZERO
    quarantined: bool = False
    version: int = 0

    @property
    def available(self) -> Decimal:
        """What may still be reserved: nothing while quarantined."""
        return ZERO if self.quarantined else max(self.on_hand - self.reserved, ZERO)


def fifo_key(lot: Lot) -> tuple[datetime, str]:
    """Oldest receipt first; the lot id breaks ties so the order is total."""
    return (lot.received_at, lot.lot_id)


@dataclass(slots=True)
class MaterialStock:
    """A material's usable lots and its stream version, loaded under the material's lock."""

    material_id: str
    lots: dict[str, Lot] = field(default_factory=dict)
    version: int = 0

    def in_fifo_order(self) -> list[Lot]:
        return sorted(self.lots.values(), key=fifo_key)

    def apply(self, event: DomainEvent) -> None:
        """Evolve the in-memory balances by one event (total: never checks, never raises)."""
        if event.stream_type == MATERIAL:
            self.version += 1
            return
        lot = self.lots.get(getattr(event, "lot_id", ""))
        match event:
            case MaterialArrived():
                self.lots[event.lot_id] = Lot(
                    event.lot_id, event.material_id, event.arrived_at, event.quantity, version=1
                )
                return
            case MaterialReserved() if lot is not None:
                lot.reserved += event.quantity
            case ReservationReleased() if lot is not None:
                lot.reserved -= event.quantity
            case MaterialConsumed() if lot is not None:
                lot.on_hand -= event.quantity
                lot.reserved -= event.reserved_quantity or ZERO
            case StockAdjusted() if lot is not None:
                lot.on_hand += event.delta
            case LotQuarantined() if lot is not None:
                lot.quarantined = True
            case LotReleased() if lot is not None:
                lot.quarantined = False
            case _:
                return
        if lot is not None:
            lot.version += 1
