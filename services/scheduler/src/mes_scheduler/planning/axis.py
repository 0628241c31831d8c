"""The model's time axis: working minutes of the plant's shared weekly shift pattern.

When every center follows the same weekly pattern (the usual plant-wide shift model),
CP-SAT works in working minutes: interruptible work has its exact size there and the
nights and weekends vanish, while center-specific downtime and holidays stay as fixed
intervals. Otherwise the axis is plain minutes and sizes are stretched estimates.
"""

from __future__ import annotations

from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.model import Calendar, Plant


class Axis:
    """Monotone map from absolute minutes to model minutes."""

    def __init__(self, plant: Plant) -> None:
        patterns = {wc.calendar.weekly for wc in plant.work_centers}
        shared = next(iter(patterns)) if len(patterns) == 1 else None
        self.working: Availability | None = None
        if shared is not None and not Calendar(weekly=shared).always_open:
            self.working = Availability(Calendar(weekly=shared))

    @property
    def shifts(self) -> bool:
        """True if model minutes are working minutes of the shared pattern."""
        return self.working is not None

    def at(self, t: int) -> int:
        """Model time of absolute minute `t` (t >= 0)."""
        if self.working is None:
            return t
        return self.working.working_minutes(0, max(t, 0))
