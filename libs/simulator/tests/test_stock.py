"""Material stock: first come first served, issue only what is reserved, balance holds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mes_simulator.stock import Line, Stock


def test_lines_wait_in_arrival_order_until_receipts_cover_them() -> None:
    stock = Stock()
    stock.receive("M", Decimal(5))
    a, b, c = (
        Line("A", 10, "M", Decimal(4)),
        Line("B", 10, "M", Decimal(3)),
        Line("C", 10, "M", Decimal(1)),
    )
    assert stock.require(a)
    assert not stock.require(b)
    # C would fit in the 1 left, but B came first: C queues behind it.
    assert not stock.require(c)
    assert stock.receive("M", Decimal(2)) == [b]
    assert stock.receive("M", Decimal(1)) == [c]
    assert (a.state, b.state, c.state) == ("reserved", "reserved", "reserved")
    assert stock.balanced()


def test_consume_only_reserved_lines_and_balance_holds() -> None:
    stock = Stock()
    stock.receive("M", Decimal("2.5"))
    line = Line("A", 10, "M", Decimal("2.25"))
    assert stock.require(line)
    stock.consume(line)
    assert stock.consumed["M"] == Decimal("2.25") and stock.free["M"] == Decimal("0.25")
    with pytest.raises(ValueError, match="consumed"):
        stock.consume(line)
    assert stock.balanced()
