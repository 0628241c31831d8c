"""Request and response bodies of the inventory API (pydantic at the edge)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

from mes_events.catalog.common import Code, PositiveQuantity, Quantity, Unit


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


# Amounts leave the API as exact decimal strings, like the events carry them.
Amount = Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="json")]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MaterialIn(Body):
    material_id: Code
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    unit: Unit
    reorder_point: Quantity = Decimal(0)
    lead_time_days: Annotated[int, Field(ge=0, le=3650)] = 0


class ReceiptIn(Body):
    material_id: Code
    lot_id: Code
    quantity: PositiveQuantity
    supplier: Code | None = None
    received_at: AwareDatetime
    auto_register: bool = Field(False, description="register an unknown material on the fly")
    unit: Unit | None = Field(None, description="unit of an auto-registered material")


class AdjustmentIn(Body):
    material_id: Code
    lot_id: Code
    counted_quantity: Quantity
    reason: Reason


class HoldIn(Body):
    reason: Reason
    ncr_id: Code | None = None


class Adjusted(BaseModel):
    lot_id: str
    delta: Amount


class Receipt(BaseModel):
    lot_id: str
    material_id: str
    events: int


class LotStock(BaseModel):
    lot_id: str
    supplier: str | None
    received_at: datetime
    received: Amount
    adjusted: Amount
    consumed: Amount
    on_hand: Amount
    reserved: Amount
    available: Amount
    quarantined: bool
    hold_reason: str | None


class MaterialStock(BaseModel):
    material_id: str
    description: str
    unit: str
    reorder_point: Amount
    lead_time_days: int
    on_hand: Amount
    reserved: Amount
    quarantined: Amount
    available: Amount
    lots: list[LotStock] | None = None


class LotHold(BaseModel):
    lot_id: str
    quantity: Amount


class OrderMaterial(BaseModel):
    material_id: str
    operation_seq: int
    required: Amount
    reserved: Amount
    consumed: Amount
    short: Amount
    unbackflushed: Amount
    lots: list[LotHold]


class OrderMaterials(BaseModel):
    order_id: str
    status: str
    quantity: int
    materials: list[OrderMaterial]


class LotUse(BaseModel):
    order_id: str
    operation_seq: int
    job_id: str | None
    quantity: Amount
    consumed_at: datetime


class LotGenealogy(BaseModel):
    lot_id: str
    material_id: str
    supplier: str | None
    received_at: datetime
    orders: int
    consumed_into: list[LotUse]


class OrderLot(BaseModel):
    lot_id: str
    material_id: str
    supplier: str | None
    received_at: datetime
    operation_seq: int
    job_id: str | None
    quantity: Amount
    consumed_at: datetime


class OrderGenealogy(BaseModel):
    order_id: str
    lots: list[OrderLot]


class ReorderAlert(BaseModel):
    material_id: str
    available: Amount
    reorder_point: Amount
    lead_time_days: int


class ShortageAlert(BaseModel):
    order_id: str
    operation_seq: int
    material_id: str
    required: Amount
    reserved: Amount
    consumed: Amount
    short: Amount
    priority: int
    due_at: datetime


class Alerts(BaseModel):
    below_reorder_point: list[ReorderAlert]
    shortages: list[ShortageAlert]
