"""API calendars become the engine's: minutes of the week, night shifts, exceptions on the axis."""

from __future__ import annotations

from datetime import timedelta

from mes_events.catalog.scheduler import ShiftCalendar
from mes_scheduler.domain.calendars import to_planning
from mes_scheduler.domain.timeaxis import TimeAxis, week_start
from mes_scheduler.planning.model import ALWAYS_OPEN, DAY, WEEK, Window
from mes_scheduler.testing import T0

AXIS = TimeAxis(week_start(T0))


def test_week_start_is_monday_midnight_utc() -> None:
    assert AXIS.epoch.weekday() == 0 and AXIS.epoch.hour == 0
    assert AXIS.minute(T0) == 360
    assert AXIS.at(360) == T0
    assert AXIS.minute(T0 + timedelta(seconds=59)) == 360
    assert AXIS.minute_up(T0 + timedelta(seconds=1)) == 361


def test_night_shift_and_sunday_night_wrap_and_overlaps_merge() -> None:
    cal = ShiftCalendar.model_validate(
        {
            "weekly": [
                {"day": "tue", "start": "22:00", "end": "06:00"},
                {"day": "tue", "start": "06:00", "end": "14:00"},
                {"day": "sun", "start": "22:00", "end": "06:00"},
                {"day": "mon", "start": "00:00", "end": "00:00"},
            ]
        }
    )
    assert to_planning(cal, AXIS).weekly == (
        Window(0, DAY),  # the whole Monday swallows the tail of Sunday's night shift
        Window(DAY + 360, DAY + 840),
        Window(DAY + 1320, 2 * DAY + 360),
        Window(6 * DAY + 1320, WEEK),
    )


def test_exceptions_are_absolute_minutes_and_no_calendar_is_always_open() -> None:
    cal = ShiftCalendar.model_validate(
        {
            "weekly": [{"day": "mon", "start": "06:00", "end": "22:00"}],
            "exceptions": [
                {"kind": "holiday", "start_at": "2026-11-30T00:00:00Z",
                 "end_at": "2026-12-01T00:00:00Z", "reason": "plant holiday"},
            ],
        }
    )  # fmt: skip
    assert to_planning(cal, AXIS).exceptions == (Window(WEEK, WEEK + DAY),)
    assert to_planning(None, AXIS) is ALWAYS_OPEN
