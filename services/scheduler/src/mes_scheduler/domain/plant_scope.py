"""Which inputs concern this plant's plan: every plant's scheduler reads the shared topics.

An order belongs to the plant its OrderReceived names; later events about an order count only
when the order is ours. Work-center and job events come from our own store (each plant's
scheduler publishes under a source of its own on the shared mes.scheduler).
"""

from __future__ import annotations

from enum import StrEnum

from mes_events.catalog.inventory import MaterialReserved, MaterialShortage
from mes_events.catalog.orders import OrderAmended, OrderCancelled, OrderReceived
from mes_events.catalog.quality import DispositionDecided
from mes_events.catalog.scheduler import WorkCenterRedefined, WorkCenterRegistered
from mes_events.registry import DomainEvent
from mes_scheduler.domain.plan_state import PlanState


class Scope(StrEnum):
    OURS = "ours"
    # Another plant's order: remembered, so that its material events are dropped too.
    FOREIGN_ORDER = "foreign_order"
    NOT_OURS = "not_ours"


def scope(state: PlanState, event: DomainEvent, *, plant_id: str, own: bool) -> Scope:
    """Where `event` belongs; `own` says it came from this plant's own event store."""
    match event:
        case OrderReceived():
            return Scope.OURS if event.plant_id == plant_id else Scope.FOREIGN_ORDER
        case OrderAmended() | OrderCancelled() | DispositionDecided():
            return _ours(event.order_id in state.orders)
        case MaterialReserved() | MaterialShortage():
            # Material may be reserved before its order reaches us (other topic): keep it
            # unless the order is known to be another plant's.
            return _ours(event.order_id not in state.foreign)
        case WorkCenterRegistered() | WorkCenterRedefined():
            return _ours(own and event.plant_id == plant_id)
    return _ours(own) if event.type_name.startswith("scheduler.") else Scope.OURS


def _ours(condition: bool) -> Scope:
    return Scope.OURS if condition else Scope.NOT_OURS


def mark_foreign(state: PlanState, order_id: str) -> None:
    """Remember another plant's order and drop material facts that arrived before it."""
    state.foreign.add(order_id)
    for key in [k for k in state.material if k[0] == order_id]:
        del state.material[key]
