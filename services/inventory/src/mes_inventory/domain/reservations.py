"""Decisions on a material's stock: reserve, fill shortages, release, backflush. Pure.

Each function returns the events it decided and applies them to the `MaterialStock` it was
given, so a caller can chain decisions (many orders against one material) on fresh balances.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from mes_events.catalog.inventory import MaterialConsumed, MaterialReserved, MaterialShortage
from mes_events.registry import DomainEvent
from mes_inventory.domain.allocation import allocate, give_back
from mes_inventory.domain.events import ReservationReleased
from mes_inventory.domain.requirement import Requirement
from mes_inventory.domain.stock import ZERO, Lot, MaterialStock, fifo_key

Holdings = Sequence[tuple[Lot, Decimal]]


def _emit(stock: MaterialStock, events: list[DomainEvent]) -> list[DomainEvent]:
    for event in events:
        stock.apply(event)
    return events


def reserve(
    stock: MaterialStock, req: Requirement, *, report_shortage: bool = True
) -> list[DomainEvent]:
    """Reserve what `req` still needs, FIFO by receipt; a MaterialShortage for the rest."""
    if req.need <= 0:
        return []
    alloc = allocate(req.need, stock.lots.values())
    events: list[DomainEvent] = [
        MaterialReserved(
            lot_id=t.lot_id,
            material_id=stock.material_id,
            order_id=req.order_id,
            operation_seq=req.operation_seq,
            quantity=t.quantity,
            missing_quantity=alloc.short,
        )
        for t in alloc.takes
    ]
    if alloc.short > 0 and report_shortage:
        events.append(
            MaterialShortage(
                material_id=stock.material_id,
                order_id=req.order_id,
                operation_seq=req.operation_seq,
                required_quantity=req.required,
                missing_quantity=alloc.short,
            )
        )
    return _emit(stock, events)


def fill_shortages(stock: MaterialStock, waiting: Iterable[Requirement]) -> list[DomainEvent]:
    """Serve requirements that wait for material, in the order given (priority, due date)."""
    events: list[DomainEvent] = []
    for req in waiting:
        if not any(lot.available > 0 for lot in stock.lots.values()):
            break
        events += reserve(stock, req, report_shortage=False)
    return events


def release(
    stock: MaterialStock, req: Requirement, holdings: Holdings, quantity: Decimal, reason: str
) -> list[DomainEvent]:
    """Give back `quantity` of what `req` holds, newest lots first."""
    events: list[DomainEvent] = [
        ReservationReleased(
            lot_id=t.lot_id,
            material_id=stock.material_id,
            order_id=req.order_id,
            operation_seq=req.operation_seq,
            quantity=t.quantity,
            reason=reason,
        )
        for t in give_back(quantity, holdings)
    ]
    return _emit(stock, events)


def backflush(
    stock: MaterialStock, req: Requirement, holdings: Holdings, quantity: Decimal, job_id: str
) -> tuple[list[DomainEvent], Decimal]:
    """Consume `quantity` for a finished job: its own reserved lots first, then free stock.

    Returns the events and what could not be consumed because no usable stock was left (the
    balance never goes below zero; the caller reports the rest).
    """
    remaining = quantity
    from_reserved: dict[str, Decimal] = {}
    for lot, held in sorted(holdings, key=lambda h: fifo_key(h[0])):
        taken = min(held, lot.on_hand, remaining)
        if taken > 0:
            from_reserved[lot.lot_id] = taken
            remaining -= taken
    free = allocate(remaining, stock.lots.values())
    from_free = {t.lot_id: t.quantity for t in free.takes}
    events: list[DomainEvent] = []
    for lot in stock.in_fifo_order():
        held, extra = from_reserved.get(lot.lot_id, ZERO), from_free.get(lot.lot_id, ZERO)
        if held + extra > 0:
            events.append(
                MaterialConsumed(
                    lot_id=lot.lot_id,
                    material_id=stock.material_id,
                    order_id=req.order_id,
                    operation_seq=req.operation_seq,
                    job_id=job_id,
                    quantity=held + extra,
                    reserved_quantity=held,
                )
            )
    return _emit(stock, events), free.short
