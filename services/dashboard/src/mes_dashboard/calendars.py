"""Non-working time of a work center between two instants, from its shift calendar.

The calendar is the scheduler's `ShiftCalendar` as `GET /work-centers` returns it: weekly
working windows in UTC (an end at or before the start runs past midnight) and absolute
exceptions (holidays, maintenance, closures). No calendar means always open.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

Row = dict[str, Any]
Span = tuple[datetime, datetime]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = timedelta(days=1)


def _time(value: Any) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def _at(value: Any) -> datetime:
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _window_on(day: date, window: Mapping[str, Any]) -> Span:
    begins = datetime.combine(day, _time(window["start"]).replace(tzinfo=None), UTC)
    ends = datetime.combine(day, _time(window["end"]).replace(tzinfo=None), UTC)
    return begins, ends if ends > begins else ends + DAY


def _merged(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def working_spans(
    weekly: Iterable[Mapping[str, Any]], start: datetime, end: datetime
) -> list[Span]:
    """The weekly windows laid out on the days from `start` to `end`, merged and clipped."""
    windows = list(weekly)
    spans = []
    # From the day before: a night shift that began then may still run at `start`.
    day = (start - DAY).date()
    while day <= end.date():
        spans += [_window_on(day, w) for w in windows if w.get("day") == DAYS[day.weekday()]]
        day += DAY
    clipped = ((max(s, start), min(e, end)) for s, e in spans)
    return _merged((s, e) for s, e in clipped if s < e)


def gaps(spans: list[Span], start: datetime, end: datetime) -> list[Span]:
    """What `spans` (sorted, merged) leave uncovered between `start` and `end`."""
    out, cursor = [], start
    for s, e in spans:
        if s > cursor:
            out.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < end:
        out.append((cursor, end))
    return out


def non_working(work_center: Mapping[str, Any], start: datetime, end: datetime) -> list[Row]:
    """Bands where the center does not work: off shift, and each calendar exception."""
    calendar = work_center.get("calendar")
    if not calendar:
        return []
    wc = work_center.get("id")
    off = gaps(working_spans(calendar.get("weekly") or [], start, end), start, end)
    bands = [_band(wc, s, e, "off_shift", "no shift") for s, e in off]
    for exc in calendar.get("exceptions") or []:
        s, e = max(_at(exc["start_at"]), start), min(_at(exc["end_at"]), end)
        if s < e:
            bands.append(_band(wc, s, e, str(exc.get("kind")), exc.get("reason") or ""))
    return bands


def _band(wc: Any, start: datetime, end: datetime, kind: str, reason: str) -> Row:
    return {
        "work_center_id": wc,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "kind": kind,
        "reason": reason,
    }


def non_working_bands(
    work_centers: Iterable[Mapping[str, Any]], start: datetime, end: datetime
) -> list[Row]:
    """Every center's non-working bands within the window (a naive instant is taken as UTC)."""
    start, end = _at(start), _at(end)
    return [band for wc in work_centers for band in non_working(wc, start, end)]
