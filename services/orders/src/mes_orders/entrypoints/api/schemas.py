"""Request and response bodies of the orders API (pydantic at the edge, strict about input)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mes_events.catalog.common import (
    DEFAULT_PLANT,
    Characteristic,
    InspectionSpec,
    MaterialRequirement,
    PositivePieces,
    Priority,
    RoutingOperation,
    Seq,
)
from mes_orders.adapters.read_model import OrderStatus

# Control characters are refused in codes, NUL everywhere: PostgreSQL text cannot store NUL,
# and refusing it here keeps it a 422 naming the field rather than a failed write.
ApiCode = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Unit = Annotated[
    str, StringConstraints(min_length=1, max_length=16, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"^[^\x00]+$")]
Minutes = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=4, allow_inf_nan=False)]
Measure = Annotated[Decimal, Field(max_digits=18, decimal_places=9, allow_inf_nan=False)]
PerUnit = Annotated[Decimal, Field(gt=0, max_digits=18, decimal_places=6, allow_inf_nan=False)]
OrderQuantity = Annotated[int, Field(ge=1, le=100_000_000)]

DUE_DATE_DOC = (
    "ISO 8601 datetime with an offset (normalised to UTC), or a date, meaning 00:00 UTC that day."
)


class Strict(BaseModel):
    """Unknown fields are refused, so a misspelt field never goes silently missing."""

    model_config = ConfigDict(extra="forbid")


def parse_due(value: Any) -> Any:
    """A bare date means 00:00 UTC that day; numbers are refused (not epoch seconds)."""
    if not isinstance(value, str | datetime):
        raise ValueError("must be an ISO 8601 date or datetime string")
    if isinstance(value, str) and len(value) == 10:
        return f"{value}T00:00:00+00:00"
    return value


# The routing models below subclass the catalog's value objects: a validated request already
# holds the OrderReceived snapshot, with no second validation or copy (that cost ~20 % of a
# create). They only tighten the catalog's rules and word the errors for the ERP integrator.


class CharacteristicIn(Characteristic):
    name: ApiCode
    unit: Unit
    nominal: Measure
    lower: Measure | None = None
    upper: Measure | None = None

    @model_validator(mode="after")
    def _limits_bracket_nominal(self) -> Self:  # replaces the catalog's check, same rules
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"lower {self.lower} is greater than upper {self.upper}")
        if self.lower is not None and self.lower > self.nominal:
            raise ValueError(f"lower {self.lower} is greater than nominal {self.nominal}")
        if self.upper is not None and self.upper < self.nominal:
            raise ValueError(f"upper {self.upper} is less than nominal {self.nominal}")
        return self


class InspectionIn(InspectionSpec):
    characteristics: tuple[CharacteristicIn, ...] = Field(min_length=1, max_length=100)
    sample_size: PositivePieces = Field(le=100_000)


class OperationIn(RoutingOperation):
    seq: Seq = Field(le=100_000)
    operation: ApiCode
    work_center_group: ApiCode
    setup_minutes: Minutes
    run_minutes_per_unit: Minutes
    inspection: InspectionIn | None = None


class MaterialIn(MaterialRequirement):
    material_id: ApiCode
    quantity_per_unit: PerUnit


class OrderIn(Strict):
    """A production order from ERP/CRM; `external_ref` makes the create idempotent."""

    external_ref: ApiCode
    customer: ApiCode
    product: ApiCode
    quantity: OrderQuantity
    due_date: AwareDatetime = Field(description=DUE_DATE_DOC)
    priority: Priority
    routing: tuple[OperationIn, ...] = Field(min_length=1, max_length=200)
    materials: tuple[MaterialIn, ...] = Field(default=(), max_length=500)
    plant_id: ApiCode = Field(
        default=DEFAULT_PLANT, description="The plant that makes it; its scheduler plans it."
    )

    _due = field_validator("due_date", mode="before")(parse_due)

    @field_validator("due_date")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @field_validator("routing")
    @classmethod
    def _increasing_seq(cls, routing: tuple[OperationIn, ...]) -> tuple[OperationIn, ...]:
        for i in range(1, len(routing)):
            if routing[i].seq <= routing[i - 1].seq:
                raise ValueError(
                    f"routing[{i}].seq {routing[i].seq} must be greater than"
                    f" routing[{i - 1}].seq {routing[i - 1].seq} (unique and increasing)"
                )
        return routing

    @field_validator("materials")
    @classmethod
    def _known_operations(
        cls, materials: tuple[MaterialIn, ...], info: ValidationInfo
    ) -> tuple[MaterialIn, ...]:
        routing: tuple[OperationIn, ...] | None = info.data.get("routing")
        if routing is None:  # the routing itself was refused; that error says enough
            return materials
        seqs = {op.seq for op in routing}
        for i, m in enumerate(materials):
            if m.operation_seq not in seqs:
                raise ValueError(
                    f"materials[{i}].operation_seq {m.operation_seq} is not a routing seq"
                    f" (known: {sorted(seqs)})"
                )
        return materials


class AmendIn(Strict):
    """Fields to change; at least one. A change to the same value stores nothing."""

    due_date: AwareDatetime | None = Field(default=None, description=DUE_DATE_DOC)
    quantity: OrderQuantity | None = None
    priority: Priority | None = None
    reason: Reason | None = None

    _due = field_validator("due_date", mode="before")(parse_due)

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.due_date is None and self.quantity is None and self.priority is None:
            raise ValueError("an amendment sets at least one of due_date, quantity, priority")
        return self


class CancelIn(Strict):
    reason: Reason


class OperationOut(BaseModel):
    seq: int
    operation: str
    work_center_group: str
    setup_minutes: Decimal
    run_minutes_per_unit: Decimal
    inspection: dict[str, Any] | None
    status: str = Field(description="planned, started or completed")
    good_quantity: int
    scrap_quantity: int
    started_at: datetime | None
    completed_at: datetime | None


class MaterialOut(BaseModel):
    material_id: str
    operation_seq: int
    quantity_per_unit: Decimal
    required_quantity: Decimal
    reserved_quantity: Decimal
    missing_quantity: Decimal
    consumed_quantity: Decimal
    status: str = Field(description="unknown (no word from inventory), reserved, or short")


class OrderOut(BaseModel):
    order_id: str
    external_ref: str
    plant_id: str
    customer: str
    product: str
    quantity: int
    due_date: datetime
    priority: int
    status: OrderStatus
    version: int = Field(description="The order's stream version; also its ETag.")
    received_at: datetime
    good_quantity: int
    scrap_quantity: int
    projected_completion_at: datetime | None
    lateness_minutes: Decimal | None = Field(description="Projected completion - due; > 0 late.")
    at_risk: bool
    completed_at: datetime | None
    on_time: bool | None
    cancel_reason: str | None


class OrderDetail(OrderOut):
    operations: list[OperationOut]
    materials: list[MaterialOut]


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at end.")


class AtRiskOrder(OrderOut):
    weighted_lateness: Decimal = Field(description="lateness_minutes x (6 - priority)")


class HistoryEvent(BaseModel):
    version: int
    event_id: str
    type: str
    schema_version: int
    occurred_at: datetime
    correlation_id: str
    causation_id: str | None = Field(description="The event or request that caused this one.")
    data: dict[str, Any]


class History(BaseModel):
    order_id: str
    events: list[HistoryEvent]
