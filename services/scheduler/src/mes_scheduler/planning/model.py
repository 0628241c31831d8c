"""Domain types of the planning engine: work centers, calendars, orders, operations.

All times are integer minutes from an arbitrary epoch; minute 0 is Monday 00:00.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

WEEK = 7 * 24 * 60
DAY = 24 * 60
NEVER = 1 << 40


@dataclass(frozen=True, slots=True)
class Window:
    """Half-open interval [start, end) of minutes."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Calendar:
    """Weekly working windows minus absolute exceptions and unplanned downtime."""

    weekly: tuple[Window, ...] = (Window(0, WEEK),)
    exceptions: tuple[Window, ...] = ()
    downtime: tuple[Window, ...] = ()

    @property
    def always_open(self) -> bool:
        return self.weekly == (Window(0, WEEK),) and not self.exceptions and not self.downtime


ALWAYS_OPEN = Calendar()


@dataclass(frozen=True, slots=True)
class WorkCenter:
    """A machine or station; `group` is the capability a routing step names."""

    id: str
    group: str
    efficiency: float = 1.0
    calendar: Calendar = ALWAYS_OPEN


class Secondary(Enum):
    """Second level of the lexicographic objective."""

    MAKESPAN = "makespan"
    FLOW_TIME = "flow_time"


@dataclass(frozen=True, slots=True)
class Plant:
    """Static configuration: work centers, family setup matrix and the frozen horizon."""

    work_centers: tuple[WorkCenter, ...]
    family_setups: Mapping[tuple[str, str], int] = field(default_factory=dict)
    frozen_horizon: int = 0
    secondary: Secondary = Secondary.MAKESPAN

    def centers_of(self, group: str) -> tuple[str, ...]:
        """Ids of the work centers able to run an operation of `group`, sorted."""
        return tuple(sorted(wc.id for wc in self.work_centers if wc.group == group))


@dataclass(frozen=True, slots=True)
class Operation:
    """One routing step; run minutes = per_unit x quantity / efficiency, rounded up."""

    id: str
    order_id: str
    group: str
    per_unit: float
    setup: int = 0
    family: str = ""
    interruptible: bool = True
    release: int = 0


@dataclass(frozen=True, slots=True)
class Order:
    """A production order; `operations` is its routing in precedence order."""

    id: str
    quantity: int
    due: int
    weight: float = 1.0
    operations: tuple[Operation, ...] = ()


def run_minutes(op: Operation, quantity: int, efficiency: float) -> int:
    """Run time on a center; rounding up keeps plans conservative."""
    return math.ceil(op.per_unit * quantity / efficiency - 1e-9)
