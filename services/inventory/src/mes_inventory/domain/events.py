"""Inventory events not (yet) in the shared catalog; registered under the same wire prefix.

`inventory.ReservationReleased` belongs in `mes_events.catalog.inventory`; it lives here only
until libs/events' catalog test lists it (see docs in the service README section of the report).
"""

from __future__ import annotations

from mes_events.catalog.common import Code, PositiveQuantity, Seq, Text
from mes_events.catalog.inventory import LOT
from mes_events.registry import DomainEvent


class ReservationReleased(
    DomainEvent, type_name="inventory.ReservationReleased", version=1, stream_type=LOT
):
    """Part of a lot reserved for an order's operation became free again."""

    lot_id: Code
    material_id: Code
    order_id: Code
    operation_seq: Seq
    quantity: PositiveQuantity
    reason: Text
