"""Decisions on one lot: receipt, cycle count, quarantine and release. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mes_events.catalog.inventory import (
    LotQuarantined,
    LotReleased,
    MaterialArrived,
    StockAdjusted,
)
from mes_events.errors import DomainError
from mes_events.registry import DomainEvent
from mes_inventory.domain.events import ReservationReleased
from mes_inventory.domain.stock import Lot


@dataclass(frozen=True, slots=True)
class ReceiveMaterial:
    lot_id: str
    material_id: str
    quantity: Decimal
    supplier: str | None
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Hold:
    """A reservation on a lot: which order operation holds how much."""

    order_id: str
    operation_seq: int
    quantity: Decimal


def receive(cmd: ReceiveMaterial, existing_material: str | None) -> list[DomainEvent]:
    """A new lot; a lot id already received (for any material) is refused."""
    if existing_material is not None and existing_material != cmd.material_id:
        raise DomainError(
            f"lot {cmd.lot_id} belongs to material {existing_material}, not {cmd.material_id}"
        )
    if existing_material is not None:
        raise DomainError(f"lot {cmd.lot_id} was already received")
    return [
        MaterialArrived(
            lot_id=cmd.lot_id,
            material_id=cmd.material_id,
            quantity=cmd.quantity,
            supplier=cmd.supplier,
            arrived_at=cmd.received_at,
        )
    ]


def _release_first(holds: Sequence[Hold], quantity: Decimal) -> list[Hold]:
    """The holds (in the order given) to give back until `quantity` is released."""
    released: list[Hold] = []
    remaining = quantity
    for hold in holds:
        if remaining <= 0:
            break
        taken = min(hold.quantity, remaining)
        released.append(Hold(hold.order_id, hold.operation_seq, taken))
        remaining -= taken
    return released


def _released_events(lot: Lot, holds: Sequence[Hold], reason: str) -> list[DomainEvent]:
    return [
        ReservationReleased(
            lot_id=lot.lot_id,
            material_id=lot.material_id,
            order_id=h.order_id,
            operation_seq=h.operation_seq,
            quantity=h.quantity,
            reason=reason,
        )
        for h in holds
    ]


def count(lot: Lot, counted: Decimal, reason: str, holds: Sequence[Hold]) -> list[DomainEvent]:
    """A cycle count: adjust to `counted`; reservations above it are released first.

    `holds` come least important first (lowest priority, latest due): they lose stock first.
    """
    if counted < 0:
        raise DomainError("counted quantity cannot be negative")
    delta = counted - lot.on_hand
    if delta == 0:
        return []
    over = max(lot.reserved - counted, Decimal(0))
    released = _release_first(holds, over) if over > 0 else []
    adjusted = StockAdjusted(
        lot_id=lot.lot_id, material_id=lot.material_id, delta=delta, reason=reason
    )
    return [*_released_events(lot, released, f"count: {reason}"), adjusted]


def quarantine(
    lot: Lot, reason: str, ncr_id: str | None, holds: Sequence[Hold]
) -> list[DomainEvent]:
    """Hold the lot: every reservation on it is released first, then it is quarantined."""
    if lot.quarantined:
        return []
    released = _released_events(lot, holds, f"quarantine: {reason}")
    held = LotQuarantined(
        lot_id=lot.lot_id, material_id=lot.material_id, reason=reason, ncr_id=ncr_id
    )
    return [*released, held]


def release_hold(lot: Lot, reason: str) -> list[DomainEvent]:
    """Make a quarantined lot usable again (a lot not on hold is left as it is)."""
    if not lot.quarantined:
        return []
    return [LotReleased(lot_id=lot.lot_id, material_id=lot.material_id, reason=reason)]
