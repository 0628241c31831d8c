"""Request and response bodies of the scheduler API (calendars are the catalog's models)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from mes_events.catalog.common import Code
from mes_events.catalog.scheduler import ShiftCalendar

NonBlank = Annotated[str, Field(min_length=1, max_length=2000)]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkCenterIn(In):
    id: Code
    group: Code = Field(description="The capability routings name (work_center_group).")
    name: Annotated[str, Field(max_length=2000)] = ""
    calendar: ShiftCalendar | None = Field(
        default=None, description="Weekly working windows (UTC) and exceptions; none: always open."
    )
    efficiency: Annotated[Decimal, Field(gt=0, le=10)] = Decimal(1)


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


class DownIn(In):
    reason: NonBlank
    expected_minutes: Annotated[int, Field(ge=1, le=525_600)] | None = Field(
        default=None, description="Expected duration; the service default when absent."
    )
