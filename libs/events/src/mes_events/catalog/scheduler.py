"""Events of the scheduler service (topic mes.scheduler).

Stream types: "work_center" (registration and downtime), "plan" (one living plan per plant:
revisions and order projections) and "job" (one operation executed on a work center).
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from mes_events.catalog.common import (
    DEFAULT_PLANT,
    Code,
    Minutes,
    Pieces,
    PositiveQuantity,
    Seq,
    SignedMinutes,
    Text,
    ValueModel,
)
from mes_events.registry import DomainEvent

WORK_CENTER = "work_center"
PLAN = "plan"
JOB = "job"


class OperationRef(ValueModel):
    """Identifies one operation of an order's routing (rework operations get new seqs)."""

    order_id: Code
    seq: Seq


class PlannedOperation(OperationRef):
    """Where and when an operation is planned to run."""

    work_center_id: Code
    start_at: AwareDatetime
    end_at: AwareDatetime

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.end_at < self.start_at:
            raise ValueError(f"{self.order_id}/{self.seq}: end_at before start_at")
        return self


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class WeeklyWindow(ValueModel):
    """A working window of the weekly shift pattern (UTC); an `end` at or before `start` runs
    past midnight into the next day (22:00-06:00 is a night shift, 00:00-00:00 a whole day)."""

    day: Weekday
    start: time
    end: time


class CalendarException(ValueModel):
    """An absolute period without work: a holiday, planned maintenance or another closure."""

    kind: Literal["holiday", "maintenance", "closure"]
    start_at: AwareDatetime
    end_at: AwareDatetime
    reason: Text = ""

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class ShiftCalendar(ValueModel):
    """When a work center works: weekly windows minus the exceptions."""

    weekly: tuple[WeeklyWindow, ...] = Field(min_length=1)
    exceptions: tuple[CalendarException, ...] = ()


class WorkCenterRegistered(
    DomainEvent, type_name="scheduler.WorkCenterRegistered", version=1, stream_type=WORK_CENTER
):
    """A work center joined a group of interchangeable machines at a plant."""

    work_center_id: Code
    name: Text
    work_center_group: Code
    plant_id: Code = DEFAULT_PLANT
    # Added later (optional; absent on older events: always open, nominal speed).
    calendar: ShiftCalendar | None = Field(
        default=None, description="Shift calendar; none means always open."
    )
    efficiency: Annotated[PositiveQuantity, Field(le=10)] = Field(
        default=Decimal(1), description="Speed factor: run minutes are divided by it."
    )


class WorkCenterRedefined(
    DomainEvent, type_name="scheduler.WorkCenterRedefined", version=1, stream_type=WORK_CENTER
):
    """A registered work center's definition was replaced: name, shift calendar, efficiency.

    Carries the whole new definition; the group and plant stay those it was registered with.
    """

    work_center_id: Code
    name: Text
    work_center_group: Code
    plant_id: Code = DEFAULT_PLANT
    calendar: ShiftCalendar | None = Field(
        default=None, description="Shift calendar; none means always open."
    )
    efficiency: Annotated[PositiveQuantity, Field(le=10)] = Field(
        default=Decimal(1), description="Speed factor: run minutes are divided by it."
    )


class WorkCenterDown(
    DomainEvent, type_name="scheduler.WorkCenterDown", version=1, stream_type=WORK_CENTER
):
    """A work center stopped (breakdown, maintenance); work moves off it."""

    work_center_id: Code
    reason: Text
    down_at: AwareDatetime
    expected_up_at: AwareDatetime | None = None


class WorkCenterUp(
    DomainEvent, type_name="scheduler.WorkCenterUp", version=1, stream_type=WORK_CENTER
):
    """A work center is available again."""

    work_center_id: Code
    up_at: AwareDatetime


class ScheduleRevised(
    DomainEvent, type_name="scheduler.ScheduleRevised", version=1, stream_type=PLAN
):
    """A diff of the plan: operations moved in time or between machines, or dropped."""

    plan_id: Code
    reason: Literal["repair", "optimization"]
    caused_by: UUID | None = Field(
        default=None, description="Id of the event that triggered a repair; none for optimizing."
    )
    changed: tuple[PlannedOperation, ...] = ()
    removed: tuple[OperationRef, ...] = ()
    revision: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="The plan's revision after this change (added later)."
    )

    @model_validator(mode="after")
    def _repair_names_its_cause(self) -> Self:
        if self.reason == "repair" and self.caused_by is None:
            raise ValueError("a repair names the event that caused it")
        return self


class OrderProjected(
    DomainEvent, type_name="scheduler.OrderProjected", version=1, stream_type=PLAN
):
    """The plan's projected completion of an order against its due time."""

    plan_id: Code
    order_id: Code
    projected_completion_at: AwareDatetime
    due_at: AwareDatetime
    lateness_minutes: SignedMinutes = Field(description="Positive when late, negative when early.")


class JobStarted(DomainEvent, type_name="scheduler.JobStarted", version=1, stream_type=JOB):
    """An operator started an operation on a work center."""

    job_id: Code
    order_id: Code
    operation_seq: Seq
    work_center_id: Code
    operator: Code
    started_at: AwareDatetime
    # Added later (optional): the line terminal, and a manager's override of the start checks.
    terminal: Code | None = None
    override_by: Code | None = Field(
        default=None, description="The manager who forced the start past the checks below."
    )
    overridden: tuple[Text, ...] = Field(
        default=(), description="The start checks the override set aside, as reasons."
    )
    planned_start_at: AwareDatetime | None = Field(
        default=None, description="When the plan had the job start (schedule adherence)."
    )


class JobCompleted(DomainEvent, type_name="scheduler.JobCompleted", version=1, stream_type=JOB):
    """An operation finished, with the pieces made and the labour time actually spent."""

    job_id: Code
    order_id: Code
    operation_seq: Seq
    work_center_id: Code
    good_quantity: Pieces
    scrap_quantity: Pieces
    actual_minutes: Minutes
    operator: Code
    completed_at: AwareDatetime
    # Added later (optional): what the pieces made should have taken (cost control).
    standard_minutes: Minutes | None = Field(
        default=None, description="Setup plus run minutes per unit x pieces made / efficiency."
    )
