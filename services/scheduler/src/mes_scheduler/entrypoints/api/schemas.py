"""Request and response bodies of the scheduler API (calendars are the catalog's models)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mes_events.catalog.common import Code
from mes_events.catalog.scheduler import ShiftCalendar

NonBlank = Annotated[str, Field(min_length=1, max_length=2000)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkCenterDefinitionIn(In):
    """A work center's whole definition (PUT replaces it: an absent field takes its default)."""

    group: Code = Field(description="The capability routings name (work_center_group).")
    name: Annotated[str, Field(max_length=2000)] = ""
    calendar: ShiftCalendar | None = Field(
        default=None, description="Weekly working windows (UTC) and exceptions; none: always open."
    )
    efficiency: Annotated[Decimal, Field(gt=0, le=10)] = Decimal(1)


class WorkCenterIn(WorkCenterDefinitionIn):
    id: Code


class WorkCenterOut(BaseModel):
    id: str
    group: str
    name: str
    calendar: ShiftCalendar | None
    efficiency: Decimal
    status: Literal["up", "down"]
    down_reason: str | None = None
    down_at: datetime | None = None
    expected_up_at: datetime | None = None
    version: int = Field(description="The center's version; its ETag (If-Match of a PUT).")


class DownIn(In):
    reason: NonBlank
    expected_minutes: Annotated[int, Field(ge=1, le=525_600)] | None = Field(
        default=None, description="Expected duration; the service default when absent."
    )


OperationStatus = Literal["planned", "started", "completed", "cancelled", "unplanned"]
MaterialStatus = Literal["none", "reserved", "short", "unknown"]


class ScheduledOperation(BaseModel):
    job_id: str
    order_id: str
    seq: int
    operation: str
    work_center_id: str
    start_at: datetime
    end_at: datetime
    status: OperationStatus
    late: bool = Field(description="The order is projected to finish after its due time.")
    material_status: MaterialStatus
    rework: bool


class DispatchItem(BaseModel):
    job_id: str
    order_id: str
    seq: int
    operation: str
    quantity: int
    status: OperationStatus
    start_at: datetime
    end_at: datetime
    late: bool
    material_status: MaterialStatus
    rework: bool
    priority: int
    due_at: datetime
    predecessor_seq: int | None
    action: str = Field(description="What the operator should do: start, wait (why), queued.")


class CriticalOperation(BaseModel):
    job_id: str
    seq: int | None
    reason: str


class ProjectedOperation(BaseModel):
    job_id: str
    seq: int
    operation: str
    work_center_group: str
    work_center_id: str | None
    start_at: datetime | None
    end_at: datetime | None
    status: OperationStatus
    material_status: MaterialStatus
    rework: bool


class OrderProjectionOut(BaseModel):
    order_id: str
    status: Literal["planned", "unplanned", "completed", "cancelled"]
    reason: str | None
    quantity: int
    planned_quantity: int
    priority: int
    due_at: datetime
    projected_completion_at: datetime | None
    lateness_minutes: Decimal | None
    late: bool
    critical: list[CriticalOperation]
    operations: list[ProjectedOperation]


class StartIn(In):
    operator: Code
    terminal: Code | None = None
    work_center_id: Code | None = Field(
        default=None, description="Run on this center of the group; the planned one when absent."
    )
    override: bool = Field(
        default=False,
        description="A manager forces the start past an unfinished predecessor or short material.",
    )
    override_by: Code | None = Field(default=None, description="The manager; needed to override.")

    @model_validator(mode="after")
    def _override_names_the_manager(self) -> StartIn:
        if self.override and self.override_by is None:
            raise ValueError("override_by: an override names the manager who forces it")
        return self


class CompleteIn(In):
    good_quantity: Annotated[int, Field(ge=0)]
    scrap_quantity: Annotated[int, Field(ge=0)] = 0
    operator: Code
    actual_minutes: Annotated[Decimal, Field(ge=0, le=10_000_000)] | None = Field(
        default=None, description="Labour minutes; the time since the start when absent."
    )


class JobOut(BaseModel):
    job_id: str
    order_id: str
    seq: int
    work_center_id: str
    status: Literal["started", "completed"]
    operator: str
    terminal: str | None
    started_at: datetime
    planned_start_at: datetime | None
    override_by: str | None
    overridden: list[str]
    completed_at: datetime | None
    completed_by: str | None
    good_quantity: int | None
    scrap_quantity: int | None
    actual_minutes: Decimal | None
    standard_minutes: Decimal | None


class CenterKpiOut(BaseModel):
    work_center_id: str
    scheduled_minutes: int = Field(description="Working minutes of the calendar in the period.")
    downtime_minutes: int
    available_minutes: int
    availability: float | None
    performance: float | None = Field(description="Standard / actual minutes of completed jobs.")
    quality: float | None = Field(description="Good / (good + scrap).")
    oee: float | None
    utilisation: float | None = Field(description="Actual job minutes / available minutes.")
    planned_utilisation: float | None = Field(description="Planned minutes / available minutes.")
    queue_jobs: int
    queue_minutes: int
    adherence: float | None = Field(
        description="Share of jobs started within 15 minutes of their planned start."
    )
    mean_start_deviation_minutes: float | None
    good: int
    scrap: int
    actual_minutes: Decimal
    standard_minutes: Decimal


class OrderLabour(BaseModel):
    order_id: str
    standard_minutes: Decimal
    actual_minutes: Decimal
    variance_minutes: Decimal = Field(description="Actual minus standard: positive costs more.")


class KpisOut(BaseModel):
    start: datetime = Field(alias="from", serialization_alias="from")
    to: datetime
    work_centers: list[CenterKpiOut]
    orders: list[OrderLabour]
    bottleneck: str | None = Field(
        description="Highest planned utilisation in the period, then the longest queue."
    )

    model_config = ConfigDict(populate_by_name=True)
