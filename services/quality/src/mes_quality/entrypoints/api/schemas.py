"""Request and response bodies of the quality API (pydantic at the edge)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

from mes_events.catalog.common import (
    Characteristic,
    Code,
    Measure,
    PositivePieces,
    Seq,
    Unit,
)
from mes_events.catalog.quality import Disposition


def _plain(value: Decimal) -> str:
    return format(value, "f") if value else "0"


# Measured values leave the API as exact decimal strings, like the events carry them.
Value = Annotated[Decimal, PlainSerializer(_plain, return_type=str, when_used="json")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CharacteristicResults(Body):
    characteristic: Code
    values: list[Measure] = Field(
        max_length=10_000, description="One value per sampled piece, in sample order."
    )
    unit: Unit | None = Field(
        None,
        description="Unit of the values; converted exactly to the characteristic's unit "
        "(422 when no exact conversion exists). Default: the characteristic's unit.",
    )


class ResultsIn(Body):
    inspector: Code
    measurements: list[CharacteristicResults] = Field(max_length=200)
    defect_codes: list[Code] = Field(
        default_factory=list, max_length=1000, description="One entry per defect found."
    )
    lot_id: Code | None = Field(
        None, description="A material lot to quarantine if the inspection fails (via the NCR)."
    )
    inspected_at: AwareDatetime | None = Field(None, description="Default: now.")


class Judged(BaseModel):
    inspection_id: str
    status: str
    failed_characteristics: list[str]
    failed_count: int
    ncr_id: str | None
    version: int


class MeasurementOut(BaseModel):
    characteristic: str
    sample: int
    value: Value


class InspectionOut(BaseModel):
    inspection_id: str
    status: str
    order_id: str
    operation_seq: int
    job_id: str | None
    product: str | None
    work_center_id: str | None
    batch_quantity: int | None
    sample_size: int
    characteristics: list[Characteristic]
    requested_at: datetime
    inspector: str | None = None
    inspected_at: datetime | None = None
    measurements: list[MeasurementOut] = []
    failed_characteristics: list[str] = []
    failed_count: int | None = None
    defect_codes: list[str] = []
    ncr_id: str | None = None
    version: int


class InspectionPage(BaseModel):
    inspections: list[InspectionOut]
    next_cursor: str | None


class NcrIn(Body):
    order_id: Code
    operation_seq: Seq
    quantity: PositivePieces
    defect_code: Code
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    lot_id: Code | None = Field(None, description="A material lot to quarantine.")


class DispositionIn(Body):
    disposition: Disposition
    decided_by: Code


class NcrOut(BaseModel):
    ncr_id: str
    status: str
    order_id: str
    operation_seq: int
    quantity: int
    defect_code: str
    description: str
    inspection_id: str | None
    lot_id: str | None
    raised_at: datetime
    disposition: dict[str, Any] | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    version: int


class NcrPage(BaseModel):
    ncrs: list[NcrOut]
    next_cursor: str | None


class Raised(BaseModel):
    ncr_id: str
    status: str
    version: int


class Decided(BaseModel):
    ncr_id: str
    status: str
    disposition: dict[str, Any]
    version: int
