"""The plan's time axis: integer minutes from an epoch that is a Monday 00:00 UTC."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MINUTE = timedelta(minutes=1)


def week_start(at: datetime) -> datetime:
    """Monday 00:00 UTC of the week containing `at`."""
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class TimeAxis:
    """Converts between datetimes and the planning engine's minutes (minute 0 is a Monday)."""

    epoch: datetime

    def minute(self, at: datetime) -> int:
        """The minute containing `at` (rounded down)."""
        return (at - self.epoch) // MINUTE

    def minute_up(self, at: datetime) -> int:
        """The first minute boundary at or after `at`."""
        return -((self.epoch - at) // MINUTE)

    def at(self, minute: int) -> datetime:
        return self.epoch + minute * MINUTE
