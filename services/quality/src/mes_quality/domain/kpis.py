"""Pure KPI arithmetic: yield ratios, the defect Pareto, and the age of open NCRs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ParetoBar:
    defect_code: str
    count: int
    percent: float
    cumulative_percent: float


def pareto(counts: Mapping[str, int]) -> list[ParetoBar]:
    """Defect codes by count, most frequent first (ties by code), with cumulative share."""
    total = sum(counts.values())
    bars: list[ParetoBar] = []
    running = 0
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        running += count
        bars.append(ParetoBar(code, count, 100 * count / total, 100 * running / total))
    return bars


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class Ages:
    count: int
    oldest_hours: float | None
    mean_hours: float | None


def ages(opened: Sequence[datetime], now: datetime) -> Ages:
    """How long the open items have waited, in hours (oldest and mean)."""
    if not opened:
        return Ages(0, None, None)
    hours = [(now - at).total_seconds() / 3600 for at in opened]
    return Ages(len(hours), max(hours), sum(hours) / len(hours))
