"""Property tests of the pure allocation and reservation decisions (no database)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from mes_events.catalog.inventory import MaterialConsumed, MaterialReserved, MaterialShortage
from mes_inventory.domain import reservations
from mes_inventory.domain.allocation import Take, allocate
from mes_inventory.domain.requirement import Requirement
from mes_inventory.domain.stock import Lot, MaterialStock, fifo_key
from mes_inventory.testing import T0

amounts = st.decimals(min_value=0, max_value=1000, places=2)


@st.composite
def lots(draw: st.DrawFn) -> list[Lot]:
    n = draw(st.integers(0, 8))
    out = []
    for i in range(n):
        on_hand = draw(amounts)
        reserved = draw(st.decimals(min_value=0, max_value=on_hand, places=2))
        quarantined = draw(st.booleans())
        day = draw(st.integers(0, 5))  # ties on the date are broken by lot id
        out.append(
            Lot(f"L{i}", "M", T0 + timedelta(days=day), on_hand,
                Decimal(0) if quarantined else reserved, quarantined)
        )  # fmt: skip
    return out


@given(lots(), amounts)
def test_allocation_serves_fifo_from_available_stock_only(stock: list[Lot], want: Decimal) -> None:
    alloc = allocate(want, stock)
    by_id = {lot.lot_id: lot for lot in stock}
    assert alloc.allocated + alloc.short == want
    assert len({t.lot_id for t in alloc.takes}) == len(alloc.takes)
    for take in alloc.takes:
        lot = by_id[take.lot_id]
        assert 0 < take.quantity <= lot.available and not lot.quarantined
    taken = {t.lot_id for t in alloc.takes}
    for later in alloc.takes:
        for earlier in stock:
            if fifo_key(earlier) < fifo_key(by_id[later.lot_id]) and earlier.available > 0:
                assert earlier.lot_id in taken and _taken(alloc.takes, earlier) == earlier.available
    if alloc.short > 0:
        assert alloc.allocated == sum((lot.available for lot in stock), Decimal(0))


def _taken(takes: tuple[Take, ...], lot: Lot) -> Decimal:
    return next(t.quantity for t in takes if t.lot_id == lot.lot_id)


def _valid(stock: MaterialStock) -> bool:
    return all(
        0 <= lot.reserved <= lot.on_hand and not (lot.quarantined and lot.reserved > 0)
        for lot in stock.lots.values()
    )


@given(lots(), st.lists(amounts.filter(lambda a: a > 0), min_size=1, max_size=6))
def test_reserving_many_requirements_never_over_reserves(
    stock_lots: list[Lot], needs: list[Decimal]
) -> None:
    stock = MaterialStock("M", {lot.lot_id: lot for lot in stock_lots})
    before = sum((lot.available for lot in stock_lots), Decimal(0))
    reserved = Decimal(0)
    for i, need in enumerate(needs):
        events = reservations.reserve(stock, Requirement(f"O{i}", 10, "M", need))
        got = sum((e.quantity for e in events if isinstance(e, MaterialReserved)), Decimal(0))
        short = [e for e in events if isinstance(e, MaterialShortage)]
        assert got + (short[0].missing_quantity if short else 0) == need
        reserved += got
        assert _valid(stock)
    assert reserved == min(before, sum(needs, Decimal(0)))


@given(lots(), amounts, amounts)
def test_backflush_never_drives_a_lot_below_zero(
    stock_lots: list[Lot], held_share: Decimal, want: Decimal
) -> None:
    stock = MaterialStock("M", {lot.lot_id: lot for lot in stock_lots})
    req = Requirement("O", 10, "M", held_share)
    reservations.reserve(stock, req, report_shortage=False)
    held = [(lot, lot.reserved) for lot in stock.lots.values() if lot.reserved > 0]
    mine = Requirement("O", 10, "M", held_share, reserved=sum((h for _, h in held), Decimal(0)))
    total_before = sum((lot.on_hand for lot in stock.lots.values()), Decimal(0))
    events, short = reservations.backflush(stock, mine, held, want, "J")
    consumed = sum((e.quantity for e in events if isinstance(e, MaterialConsumed)), Decimal(0))
    assert consumed + short == want
    assert total_before - consumed == sum((lot.on_hand for lot in stock.lots.values()), Decimal(0))
    assert all(lot.on_hand >= 0 for lot in stock.lots.values()) and _valid(stock)
