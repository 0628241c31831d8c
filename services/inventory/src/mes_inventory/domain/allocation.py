"""FIFO allocation: which lots a quantity comes from, oldest receipt first. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from mes_inventory.domain.stock import ZERO, Lot, fifo_key


@dataclass(frozen=True, slots=True)
class Take:
    """A quantity taken from one lot."""

    lot_id: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    """The lots a requirement is served from, and what could not be served."""

    takes: tuple[Take, ...]
    short: Decimal

    @property
    def allocated(self) -> Decimal:
        return sum((t.quantity for t in self.takes), ZERO)


def allocate(quantity: Decimal, lots: Iterable[Lot]) -> Allocation:
    """Take `quantity` from the available part of `lots`, oldest receipt first."""
    remaining = max(quantity, ZERO)
    takes: list[Take] = []
    for lot in sorted(lots, key=fifo_key):
        if remaining <= 0:
            break
        taken = min(lot.available, remaining)
        if taken > 0:
            takes.append(Take(lot.lot_id, taken))
            remaining -= taken
    return Allocation(tuple(takes), remaining)


def give_back(quantity: Decimal, holdings: Iterable[tuple[Lot, Decimal]]) -> list[Take]:
    """Release `quantity` from held (lot, amount) pairs, newest lot first: old stock stays used."""
    remaining = max(quantity, ZERO)
    takes: list[Take] = []
    for lot, held in sorted(holdings, key=lambda h: fifo_key(h[0]), reverse=True):
        if remaining <= 0:
            break
        taken = min(held, remaining)
        if taken > 0:
            takes.append(Take(lot.lot_id, taken))
            remaining -= taken
    return takes
