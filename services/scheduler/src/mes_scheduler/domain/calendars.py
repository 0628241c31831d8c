"""Shift calendars as the API states them, translated into the planning engine's Calendar."""

from __future__ import annotations

from mes_events.catalog.scheduler import ShiftCalendar, WeeklyWindow
from mes_scheduler.domain.timeaxis import TimeAxis
from mes_scheduler.planning.model import ALWAYS_OPEN, DAY, WEEK, Calendar, Window

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _pieces(w: WeeklyWindow) -> list[Window]:
    start = DAYS.index(w.day) * DAY + w.start.hour * 60 + w.start.minute
    length = (w.end.hour * 60 + w.end.minute) - (w.start.hour * 60 + w.start.minute)
    end = start + (length if length > 0 else length + DAY)
    if end <= WEEK:
        return [Window(start, end)]
    # Sunday night into Monday morning wraps around the week.
    return [Window(start, WEEK), Window(0, end - WEEK)]


def merged(windows: list[Window]) -> tuple[Window, ...]:
    """Sorted, with overlapping or touching windows joined (the engine expects that)."""
    out: list[Window] = []
    for w in sorted(windows, key=lambda w: (w.start, w.end)):
        if out and w.start <= out[-1].end:
            out[-1] = Window(out[-1].start, max(out[-1].end, w.end))
        else:
            out.append(w)
    return tuple(out)


def to_planning(calendar: ShiftCalendar | None, axis: TimeAxis) -> Calendar:
    """The engine's calendar: weekly windows in minutes of the week, exceptions on the axis."""
    if calendar is None:
        return ALWAYS_OPEN
    weekly = merged([p for w in calendar.weekly for p in _pieces(w)])
    exceptions = merged(
        [Window(axis.minute(e.start_at), axis.minute_up(e.end_at)) for e in calendar.exceptions]
    )
    return Calendar(weekly=weekly, exceptions=exceptions)
