"""Events of the inventory service (topic mes.inventory).

A material (stream type "material") is the catalog entry and the unit of shortage; a lot
(stream type "lot") is a physical receipt whose quantity is reserved, consumed, adjusted and
held, so genealogy (which lot went into which order) reads off one lot's stream.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Self

from pydantic import AwareDatetime, Field, model_validator

from mes_events.catalog.common import (
    Code,
    PositiveQuantity,
    Quantity,
    Seq,
    SignedQuantity,
    Text,
    Unit,
)
from mes_events.registry import DomainEvent

MATERIAL = "material"
LOT = "lot"


class MaterialRegistered(
    DomainEvent, type_name="inventory.MaterialRegistered", version=1, stream_type=MATERIAL
):
    """A material became known, with the unit all its quantities are counted in."""

    material_id: Code
    name: Text
    unit: Unit
    # Added (optional, defaults keep older events valid): planning data for reorder alerts.
    reorder_point: Quantity = Field(
        default=Decimal(0), description="Alert when available stock falls below this."
    )
    lead_time_days: Annotated[int, Field(ge=0)] = Field(
        default=0, description="Days from order to arrival at the supplier's usual pace."
    )


class MaterialArrived(
    DomainEvent, type_name="inventory.MaterialArrived", version=1, stream_type=LOT
):
    """A receipt created a lot of a material."""

    lot_id: Code
    material_id: Code
    quantity: PositiveQuantity
    supplier: Code | None = None
    arrived_at: AwareDatetime


class MaterialReserved(
    DomainEvent, type_name="inventory.MaterialReserved", version=1, stream_type=LOT
):
    """Part of a lot was set aside for an order's operation."""

    lot_id: Code
    material_id: Code
    order_id: Code
    operation_seq: Seq
    quantity: PositiveQuantity
    # Added (optional): what the order's operation still misses of this material after this
    # reservation; 0 means its material is all there. None on events written before the field.
    missing_quantity: Quantity | None = None


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


class MaterialShortage(
    DomainEvent, type_name="inventory.MaterialShortage", version=1, stream_type=MATERIAL
):
    """An order's requirement could not be fully reserved from available lots."""

    material_id: Code
    order_id: Code
    operation_seq: Seq
    required_quantity: PositiveQuantity
    missing_quantity: PositiveQuantity

    @model_validator(mode="after")
    def _missing_within_required(self) -> Self:
        if self.missing_quantity > self.required_quantity:
            raise ValueError("missing_quantity exceeds required_quantity")
        return self


class MaterialConsumed(
    DomainEvent, type_name="inventory.MaterialConsumed", version=1, stream_type=LOT
):
    """Material from a lot went into an order's operation (the genealogy link)."""

    lot_id: Code
    material_id: Code
    order_id: Code
    operation_seq: Seq
    job_id: Code | None = None
    quantity: PositiveQuantity
    # Added (optional): how much of `quantity` came out of this order operation's reservation
    # on the lot (the rest was free stock). None on events written before the field.
    reserved_quantity: Quantity | None = None

    @model_validator(mode="after")
    def _reserved_within_quantity(self) -> Self:
        if self.reserved_quantity is not None and self.reserved_quantity > self.quantity:
            raise ValueError("reserved_quantity exceeds quantity")
        return self


class LotQuarantined(DomainEvent, type_name="inventory.LotQuarantined", version=1, stream_type=LOT):
    """A lot was put on hold and may not be reserved or consumed until released."""

    lot_id: Code
    material_id: Code
    reason: Text
    ncr_id: Code | None = None


class LotReleased(DomainEvent, type_name="inventory.LotReleased", version=1, stream_type=LOT):
    """A quarantined lot became usable again."""

    lot_id: Code
    material_id: Code
    reason: Text


class StockAdjusted(DomainEvent, type_name="inventory.StockAdjusted", version=1, stream_type=LOT):
    """A lot's quantity was corrected (count, damage); `delta` is signed."""

    lot_id: Code
    material_id: Code
    delta: SignedQuantity
    reason: Text
