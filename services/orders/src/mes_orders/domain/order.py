"""The production order aggregate: commands, state, and the pure decide / evolve / fold."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from mes_events.catalog.common import DEFAULT_PLANT, MaterialRequirement, RoutingOperation
from mes_events.catalog.orders import OrderAmended, OrderCancelled, OrderCompleted, OrderReceived
from mes_events.errors import DomainError, NotFound
from mes_events.registry import DomainEvent


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ReceiveOrder:
    order_id: str
    external_ref: str
    customer: str
    product: str
    quantity: int
    due_at: datetime
    priority: int
    routing: tuple[RoutingOperation, ...]
    materials: tuple[MaterialRequirement, ...]
    plant_id: str = DEFAULT_PLANT


@dataclass(frozen=True, slots=True)
class AmendOrder:
    order_id: str
    quantity: int | None = None
    due_at: datetime | None = None
    priority: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CancelOrder:
    order_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Progress:
    """Pieces reported per operation seq (good after quality dispositions, and scrap)."""

    good: Mapping[int, int]
    scrap: Mapping[int, int]


@dataclass(frozen=True, slots=True)
class CompleteIfDone:
    order_id: str
    progress: Progress
    at: datetime


Command = ReceiveOrder | AmendOrder | CancelOrder | CompleteIfDone


@dataclass(frozen=True, slots=True)
class Order:
    order_id: str = ""
    status: Status = Status.NEW
    quantity: int = 0
    due_at: datetime | None = None
    priority: int = 0
    last_seq: int = 0


INITIAL = Order()


def decide(command: Command, state: Order) -> list[DomainEvent]:
    """The events a command produces against the order's state; raises when it is refused."""
    match command:
        case ReceiveOrder():
            return _receive(command, state)
        case AmendOrder():
            return _amend(command, _open(state, command.order_id, "amended"))
        case CancelOrder():
            _open(state, command.order_id, "cancelled")
            return [OrderCancelled(order_id=command.order_id, reason=command.reason)]
        case CompleteIfDone():
            return _complete_if_done(command, state)


def _receive(cmd: ReceiveOrder, state: Order) -> list[DomainEvent]:
    if state.status is not Status.NEW:
        raise DomainError(f"order {cmd.order_id} already exists")
    return [
        OrderReceived(
            order_id=cmd.order_id,
            external_ref=cmd.external_ref,
            customer=cmd.customer,
            product=cmd.product,
            quantity=cmd.quantity,
            due_at=cmd.due_at,
            priority=cmd.priority,
            routing=cmd.routing,
            materials=cmd.materials,
            plant_id=cmd.plant_id,
        )
    ]


def _open(state: Order, order_id: str, verb: str) -> Order:
    if state.status is Status.NEW:
        raise NotFound(f"order {order_id} not found")
    if state.status is not Status.OPEN:
        raise DomainError(f"order {order_id} is {state.status.value} and cannot be {verb}")
    return state


def _amend(cmd: AmendOrder, state: Order) -> list[DomainEvent]:
    # Only real changes are recorded; an amendment that changes nothing stores nothing.
    quantity = cmd.quantity if cmd.quantity not in (None, state.quantity) else None
    due_at = cmd.due_at if cmd.due_at not in (None, state.due_at) else None
    priority = cmd.priority if cmd.priority not in (None, state.priority) else None
    if quantity is None and due_at is None and priority is None:
        return []
    return [
        OrderAmended(
            order_id=cmd.order_id,
            quantity=quantity,
            due_at=due_at,
            priority=priority,
            reason=cmd.reason,
        )
    ]


def _complete_if_done(cmd: CompleteIfDone, state: Order) -> list[DomainEvent]:
    """Complete when the last operation has the ordered quantity good; short stays open."""
    if state.status is not Status.OPEN:
        return []
    good = cmd.progress.good.get(state.last_seq, 0)
    if good < state.quantity:
        return []
    assert state.due_at is not None
    return [
        OrderCompleted(
            order_id=cmd.order_id,
            good_quantity=good,
            scrap_quantity=sum(cmd.progress.scrap.values()),
            completed_at=cmd.at,
            on_time=cmd.at <= state.due_at,
        )
    ]


def evolve(state: Order, event: DomainEvent) -> Order:
    """The state after one event; total and free of checks (it runs on every replay)."""
    match event:
        case OrderReceived():
            return Order(
                order_id=event.order_id,
                status=Status.OPEN,
                quantity=event.quantity,
                due_at=event.due_at,
                priority=event.priority,
                last_seq=max(op.seq for op in event.routing),
            )
        case OrderAmended():
            return replace(
                state,
                quantity=event.quantity or state.quantity,
                due_at=event.due_at or state.due_at,
                priority=event.priority or state.priority,
            )
        case OrderCancelled():
            return replace(state, status=Status.CANCELLED)
        case OrderCompleted():
            return replace(state, status=Status.COMPLETED)
        case _:
            return state


def fold(events: Iterable[DomainEvent], state: Order = INITIAL) -> Order:
    for event in events:
        state = evolve(state, event)
    return state
