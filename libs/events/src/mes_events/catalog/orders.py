"""Events of the orders service (topic mes.orders, stream type "order")."""

from __future__ import annotations

from typing import Any, Self

from pydantic import AwareDatetime, Field, model_validator

from mes_events.catalog.common import (
    DEFAULT_PLANT,
    Code,
    MaterialRequirement,
    Pieces,
    PositivePieces,
    Priority,
    RoutingOperation,
    Text,
    check_routing,
)
from mes_events.registry import DomainEvent
from mes_events.upcasting import upcaster

STREAM = "order"


class OrderReceivedV1(DomainEvent, type_name="orders.OrderReceived", version=1, stream_type=STREAM):
    """A production order arrived from ERP/CRM (v1: before plants and the `*_at` rename)."""

    order_id: Code
    external_ref: Code
    customer: Code
    product: Code
    quantity: PositivePieces
    due_date: AwareDatetime
    priority: Priority
    routing: tuple[RoutingOperation, ...] = Field(min_length=1)
    materials: tuple[MaterialRequirement, ...] = ()


class OrderReceived(DomainEvent, type_name="orders.OrderReceived", version=2, stream_type=STREAM):
    """A production order arrived from ERP/CRM, with a snapshot of its routing, BOM and specs."""

    order_id: Code
    external_ref: Code = Field(description="The ERP/CRM reference; idempotency key of intake.")
    plant_id: Code = DEFAULT_PLANT
    customer: Code
    product: Code
    quantity: PositivePieces
    due_at: AwareDatetime
    priority: Priority
    routing: tuple[RoutingOperation, ...] = Field(min_length=1)
    materials: tuple[MaterialRequirement, ...] = ()

    @model_validator(mode="after")
    def _consistent_routing(self) -> Self:
        check_routing(self.routing, self.materials)
        return self


@upcaster("orders.OrderReceived", 1)
def order_received_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """v2 names the due datetime `due_at` (our `*_at` convention) and adds `plant_id`."""
    data["due_at"] = data.pop("due_date")
    data.setdefault("plant_id", DEFAULT_PLANT)
    return data


class OrderAmended(DomainEvent, type_name="orders.OrderAmended", version=1, stream_type=STREAM):
    """The customer changed quantity, due time or priority; unset fields stay unchanged."""

    order_id: Code
    quantity: PositivePieces | None = None
    due_at: AwareDatetime | None = None
    priority: Priority | None = None
    reason: Text | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if self.quantity is None and self.due_at is None and self.priority is None:
            raise ValueError("an amendment changes at least one of quantity, due_at, priority")
        return self


class OrderCancelled(DomainEvent, type_name="orders.OrderCancelled", version=1, stream_type=STREAM):
    """The order was withdrawn; planned work for it is released."""

    order_id: Code
    reason: Text


class OrderCompleted(DomainEvent, type_name="orders.OrderCompleted", version=1, stream_type=STREAM):
    """The last operation finished; the order's good and scrapped pieces are final."""

    order_id: Code
    good_quantity: Pieces
    scrap_quantity: Pieces
    completed_at: AwareDatetime
    on_time: bool | None = Field(
        default=None,
        description="Completed at or before the due time (added later; absent on older events).",
    )
