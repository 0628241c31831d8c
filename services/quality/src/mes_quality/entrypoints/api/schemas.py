"""Request and response bodies of the quality API (pydantic at the edge)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

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


class ControlLimits(BaseModel):
    lcl: float
    center: float
    ucl: float


class SpcPoint(BaseModel):
    index: int = Field(description="1-based position on the chart, oldest first.")
    inspection_id: str
    inspected_at: datetime
    value: float = Field(description="The individual value (n = 1) or the subgroup mean.")
    range: float | None = Field(description="Moving range (n = 1; none on the first point) or R.")
    rules: list[int] = Field(description="Western Electric rules (1-4) this point breaks.")
    range_beyond_limits: bool


class OutOfControl(BaseModel):
    index: int
    inspection_id: str
    chart: Literal["x", "range"]
    rules: list[int]


class SpecLimits(BaseModel):
    lower: float | None
    upper: float | None
    nominal: float
    unit: str


class CapabilityOut(BaseModel):
    cp: float | None
    cpk: float | None
    cpu: float | None
    cpl: float | None


class SpcOut(BaseModel):
    product: str
    characteristic: str
    operation_seq: int | None
    chart: Literal["individuals", "xbar_r"]
    subgroup_size: int
    subgroups: int
    excluded_subgroups: int = Field(description="Older samples of another size, left off.")
    x_chart: ControlLimits | None
    range_chart: ControlLimits | None
    sigma_within: float | None = Field(description="σ̂ = MR̄/d2 or R̄/d2.")
    points: list[SpcPoint]
    out_of_control: list[OutOfControl]
    specification: SpecLimits
    capability: CapabilityOut | None


class YieldRow(BaseModel):
    product: str | None
    work_center_id: str | None
    inspections: int
    passed: int
    first_pass_yield: float | None = Field(description="Inspections passed at the first try.")
    sampled_pieces: int
    failed_pieces: int
    piece_yield: float | None = Field(description="Sampled pieces within every limit.")


class Yields(BaseModel):
    by_product_and_work_center: list[YieldRow]
    by_product: list[YieldRow]
    by_work_center: list[YieldRow]


class ParetoBarOut(BaseModel):
    defect_code: str
    count: int
    percent: float
    cumulative_percent: float


class OpenNcrs(BaseModel):
    count: int
    oldest_age_hours: float | None
    mean_age_hours: float | None


class KpisOut(BaseModel):
    since: datetime | None
    first_pass_yield: Yields
    defect_pareto: list[ParetoBarOut]
    open_ncrs: OpenNcrs
