"""One SPC report: which subgroups go on the chart, the chart itself, and capability."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from mes_quality.domain.spc.capability import Capability, capability
from mes_quality.domain.spc.charts import Chart, chart


@dataclass(frozen=True, slots=True)
class Subgroup:
    """One inspection's sample of the characteristic, in the order it was measured."""

    inspection_id: str
    inspected_at: datetime
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Report:
    chart: Chart
    subgroups: list[Subgroup]
    excluded: int
    capability: Capability | None


def report(series: Sequence[Subgroup], lower: float | None, upper: float | None) -> Report:
    """Chart the subgroups of the latest one's size (n = 1: individuals, else X̄–R).

    Why only one size: X̄–R limits assume one n; a plan whose sample size changed would mix
    them, so the older size is left off (and counted) rather than charted wrongly.
    """
    if not series:
        raise ValueError("no subgroups to chart")
    size = len(series[-1].values)
    kept = [s for s in series if len(s.values) == size]
    c = chart([s.values for s in kept])
    cap = None
    if c.sigma is not None and c.location_limits is not None:
        cap = capability(c.location_limits.center, c.sigma, lower, upper)
    return Report(c, kept, len(series) - len(kept), cap)
