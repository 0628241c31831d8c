"""Shop-floor KPIs over a period, from downtime, jobs and the plan (pure arithmetic).

Availability = (scheduled − downtime) / scheduled working minutes; performance = standard /
actual minutes of the jobs completed; quality = good / (good + scrap); OEE = A x P x Q.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from mes_events.catalog.scheduler import ShiftCalendar
from mes_scheduler.domain.calendars import merged, to_planning
from mes_scheduler.domain.timeaxis import TimeAxis, week_start
from mes_scheduler.planning.checker import working_minutes
from mes_scheduler.planning.model import Window

ON_TIME_MINUTES = 15  # a start within this many minutes of the plan counts as adhering


@dataclass(frozen=True)
class CenterRow:
    work_center_id: str
    calendar: ShiftCalendar | None


@dataclass(frozen=True)
class Downtime:
    work_center_id: str
    down_at: datetime
    up_at: datetime


@dataclass(frozen=True)
class JobRow:
    work_center_id: str
    order_id: str
    started_at: datetime
    planned_start_at: datetime | None
    completed_at: datetime | None
    good: int
    scrap: int
    actual_minutes: Decimal
    standard_minutes: Decimal


@dataclass(frozen=True)
class Planned:
    work_center_id: str
    start_at: datetime
    end_at: datetime
    status: str


@dataclass
class CenterKpi:
    work_center_id: str
    scheduled_minutes: int = 0
    downtime_minutes: int = 0
    actual_minutes: Decimal = Decimal(0)
    standard_minutes: Decimal = Decimal(0)
    good: int = 0
    scrap: int = 0
    planned_minutes: int = 0
    queue_jobs: int = 0
    queue_minutes: int = 0
    starts: int = 0
    start_deviation_minutes: list[float] = field(default_factory=list)

    @property
    def available_minutes(self) -> int:
        return self.scheduled_minutes - self.downtime_minutes

    def ratios(self) -> dict[str, float | None]:
        a = _ratio(self.available_minutes, self.scheduled_minutes)
        p = _ratio(self.standard_minutes, self.actual_minutes)
        q = _ratio(self.good, self.good + self.scrap)
        dev = self.start_deviation_minutes
        return {
            "availability": a,
            "performance": p,
            "quality": q,
            "oee": None if None in (a, p, q) else round(a * p * q, 4),  # type: ignore[operator]
            "utilisation": _ratio(self.actual_minutes, self.available_minutes),
            "planned_utilisation": _ratio(self.planned_minutes, self.available_minutes),
            "adherence": _ratio(sum(1 for d in dev if abs(d) <= ON_TIME_MINUTES), len(dev)),
            "mean_start_deviation_minutes": round(sum(dev) / len(dev), 2) if dev else None,
        }


def _ratio(a: Decimal | int, b: Decimal | int) -> float | None:
    return round(float(a) / float(b), 4) if b else None


def _minutes(axis: TimeAxis, a: datetime, b: datetime) -> Window:
    return Window(axis.minute(a), axis.minute_up(b))


def compute(
    start: datetime,
    end: datetime,
    centers: Sequence[CenterRow],
    downtime: Iterable[Downtime],
    jobs: Iterable[JobRow],
    planned: Iterable[Planned],
) -> tuple[list[CenterKpi], dict[str, tuple[Decimal, Decimal]]]:
    """Per center KPIs over [start, end), and per order (standard, actual) labour minutes."""
    axis = TimeAxis(week_start(start))
    window = _minutes(axis, start, end)
    out = {c.work_center_id: CenterKpi(c.work_center_id) for c in centers}
    stops: dict[str, list[Window]] = defaultdict(list)
    for d in downtime:
        stops[d.work_center_id].append(_minutes(axis, max(d.down_at, start), min(d.up_at, end)))
    for c in centers:
        k, cal = out[c.work_center_id], to_planning(c.calendar, axis)
        k.scheduled_minutes = working_minutes(cal, window.start, window.end)
        down = replace(
            cal, downtime=merged([w for w in stops[c.work_center_id] if w.end > w.start])
        )
        k.downtime_minutes = k.scheduled_minutes - working_minutes(down, window.start, window.end)
    labour: dict[str, tuple[Decimal, Decimal]] = {}
    for j in jobs:
        if j.work_center_id not in out:
            continue
        k = out[j.work_center_id]
        if start <= j.started_at < end and j.planned_start_at is not None:
            k.start_deviation_minutes.append(
                (j.started_at - j.planned_start_at).total_seconds() / 60
            )
        if j.completed_at is not None and start <= j.completed_at < end:
            k.actual_minutes += j.actual_minutes
            k.standard_minutes += j.standard_minutes
            k.good, k.scrap = k.good + j.good, k.scrap + j.scrap
            std, act = labour.get(j.order_id, (Decimal(0), Decimal(0)))
            labour[j.order_id] = (std + j.standard_minutes, act + j.actual_minutes)
    for p in planned:
        if p.work_center_id not in out:
            continue
        k = out[p.work_center_id]
        a, b = max(p.start_at, start), min(p.end_at, end)
        if b > a:
            k.planned_minutes += int((b - a).total_seconds() // 60)
        if p.status == "planned":
            k.queue_jobs += 1
            k.queue_minutes += int((p.end_at - p.start_at).total_seconds() // 60)
    return [out[c] for c in sorted(out)], labour


def bottleneck(kpis: Sequence[CenterKpi]) -> CenterKpi | None:
    """The center with the highest planned utilisation, then the longest queue."""
    if not kpis:
        return None
    return max(kpis, key=lambda k: (k.ratios()["planned_utilisation"] or 0.0, k.queue_minutes))
