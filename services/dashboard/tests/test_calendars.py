"""Non-working bands of the Gantt from the scheduler's shift calendars (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mes_dashboard.calendars import non_working_bands

FRI_NOON = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # a Friday
MON_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def center(wc: str, weekly: list[Any], exceptions: list[Any] | None = None) -> dict[str, Any]:
    return {"id": wc, "calendar": {"weekly": weekly, "exceptions": exceptions or []}}


def spans(bands: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(b["from"][5:16], b["to"][5:16], b["kind"]) for b in bands]


def test_a_weekday_early_shift_leaves_the_evening_and_the_weekend_dark() -> None:
    early = [{"day": d, "start": "06:00:00", "end": "14:00:00"} for d in WEEKDAYS]
    bands = non_working_bands([center("SAW-1", early)], FRI_NOON, MON_NOON)
    assert spans(bands) == [("11-27T14:00", "11-30T06:00", "off_shift")]
    assert bands[0]["work_center_id"] == "SAW-1"


def test_a_night_shift_runs_past_midnight_and_past_the_end_of_the_week() -> None:
    nights = [{"day": "sun", "start": "22:00:00", "end": "06:00:00"}]
    start, end = datetime(2026, 11, 29, 20, 0, tzinfo=UTC), datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    bands = non_working_bands([center("CNC-1", nights)], start, end)
    assert spans(bands) == [
        ("11-29T20:00", "11-29T22:00", "off_shift"),
        ("11-30T06:00", "11-30T08:00", "off_shift"),
    ]


def test_a_shift_begun_the_day_before_the_window_still_counts() -> None:
    nights = [{"day": "thu", "start": "22:00:00", "end": "14:00:00"}]
    start = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # Friday 01:00, inside Thursday's shift
    bands = non_working_bands([center("CNC-1", nights)], start, FRI_NOON.replace(hour=16))
    assert spans(bands) == [("11-27T14:00", "11-27T16:00", "off_shift")]


def test_exceptions_are_their_own_bands_clipped_to_the_window() -> None:
    all_day = [{"day": d, "start": "00:00:00", "end": "00:00:00"} for d in WEEKDAYS + ("sat",)]
    holiday = {
        "kind": "holiday",
        "start_at": "2026-11-26T00:00:00Z",
        "end_at": "2026-11-28T00:00:00Z",
        "reason": "Thanksgiving",
    }
    bands = non_working_bands([center("L-1", all_day, [holiday])], FRI_NOON, MON_NOON)
    assert spans(bands) == [
        ("11-29T00:00", "11-30T00:00", "off_shift"),
        ("11-27T12:00", "11-28T00:00", "holiday"),
    ]
    assert bands[1]["reason"] == "Thanksgiving"


def test_no_calendar_is_always_open_and_naive_instants_are_utc() -> None:
    centers: list[dict[str, Any]] = [{"id": "X-1", "calendar": None}, {"id": "X-2"}]
    assert non_working_bands(centers, FRI_NOON, MON_NOON) == []
    early = [{"day": "fri", "start": "06:00:00", "end": "14:00:00"}]
    naive = non_working_bands([center("Y", early)], FRI_NOON.replace(tzinfo=None), MON_NOON)
    assert spans(naive) == [("11-27T14:00", "11-30T12:00", "off_shift")]
