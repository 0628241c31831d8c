"""The order decider, pure: given events, when a command, then events (or a refusal)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mes_events.catalog.common import RoutingOperation
from mes_events.catalog.orders import OrderAmended, OrderCancelled, OrderCompleted, OrderReceived
from mes_events.errors import DomainError, NotFound
from mes_orders.domain.order import (
    INITIAL,
    AmendOrder,
    CancelOrder,
    CompleteIfDone,
    Progress,
    ReceiveOrder,
    Status,
    decide,
    fold,
)

DUE = datetime(2026, 12, 1, 12, tzinfo=UTC)
ROUTING = tuple(
    RoutingOperation.model_validate(
        {
            "seq": s,
            "operation": f"op{s}",
            "work_center_group": "G",
            "setup_minutes": 1,
            "run_minutes_per_unit": 1,
        }
    )
    for s in (10, 20)
)
RECEIVE = ReceiveOrder("o-1", "ERP-1", "ACME", "P", 10, DUE, 3, ROUTING, ())
RECEIVED = decide(RECEIVE, INITIAL)


def done(good_last: int, scrap: int = 0, at: datetime = DUE) -> CompleteIfDone:
    return CompleteIfDone("o-1", Progress(good={10: 10, 20: good_last}, scrap={10: scrap}), at)


def test_receive_records_the_snapshot() -> None:
    (event,) = RECEIVED
    assert isinstance(event, OrderReceived)
    assert (event.due_at, event.quantity, event.routing) == (DUE, 10, ROUTING)
    assert fold(RECEIVED).status is Status.OPEN and fold(RECEIVED).last_seq == 20


def test_receive_twice_is_refused() -> None:
    with pytest.raises(DomainError):
        decide(RECEIVE, fold(RECEIVED))


def test_amend_records_only_what_changes() -> None:
    events = decide(AmendOrder("o-1", quantity=10, priority=1), fold(RECEIVED))
    assert events == [OrderAmended(order_id="o-1", priority=1)]
    assert decide(AmendOrder("o-1", quantity=10, priority=3), fold(RECEIVED)) == []


def test_amend_or_cancel_unknown_is_not_found() -> None:
    with pytest.raises(NotFound):
        decide(AmendOrder("o-1", quantity=3), INITIAL)
    with pytest.raises(NotFound):
        decide(CancelOrder("o-1", "r"), INITIAL)


def test_closed_orders_refuse_amend_and_cancel() -> None:
    cancelled = fold([*RECEIVED, OrderCancelled(order_id="o-1", reason="r")])
    with pytest.raises(DomainError, match="is cancelled and cannot be amended"):
        decide(AmendOrder("o-1", quantity=3), cancelled)
    completed = fold([*RECEIVED, *decide(done(10), fold(RECEIVED))])
    with pytest.raises(DomainError, match="is completed and cannot be cancelled"):
        decide(CancelOrder("o-1", "late"), completed)


def test_complete_when_last_operation_has_the_quantity_good() -> None:
    events = decide(done(10, scrap=2), fold(RECEIVED))
    assert events == [
        OrderCompleted(
            order_id="o-1", good_quantity=10, scrap_quantity=2, completed_at=DUE, on_time=True
        )
    ]


def test_late_completion_is_not_on_time() -> None:
    late = datetime(2026, 12, 2, tzinfo=UTC)
    (event,) = decide(done(10, at=late), fold(RECEIVED))
    assert isinstance(event, OrderCompleted) and event.on_time is False


def test_short_order_stays_open() -> None:
    assert decide(done(8, scrap=2), fold(RECEIVED)) == []


def test_amended_quantity_counts_for_completion() -> None:
    state = fold([*RECEIVED, OrderAmended(order_id="o-1", quantity=12)])
    assert decide(done(10), state) == []
    assert len(decide(done(12), state)) == 1
