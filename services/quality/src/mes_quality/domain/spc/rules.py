"""The four Western Electric rules on a chart's points, each point with the rules it breaks.

Zones are measured in σ of the plotted statistic, (UCL − CL) / 3. A point is flagged when it
completes a pattern and is itself part of it:
1. beyond 3σ (outside a control limit);
2. 2 of the last 3 points beyond 2σ, on the same side;
3. 4 of the last 5 points beyond 1σ, on the same side;
4. 8 points in a row on the same side of the centre line (a point on it breaks the run).
The first points of a series use the window there is (2 of the first 2 trips rule 2).
"""

from __future__ import annotations

from collections.abc import Sequence


def _side(x: float, center: float) -> int:
    return (x > center) - (x < center)


def _beyond(x: float, center: float, limit: float, side: int) -> bool:
    return (x - center) * side > limit


def _count_of(
    points: Sequence[float], i: int, window: int, needed: int, center: float, zone: float
) -> bool:
    side = _side(points[i], center)
    if side == 0 or not _beyond(points[i], center, zone, side):
        return False
    recent = points[max(0, i - window + 1) : i + 1]
    return sum(_beyond(x, center, zone, side) for x in recent) >= needed


def _run(points: Sequence[float], i: int, length: int, center: float) -> bool:
    if i + 1 < length:
        return False
    sides = {_side(x, center) for x in points[i - length + 1 : i + 1]}
    return len(sides) == 1 and 0 not in sides


def western_electric(points: Sequence[float], center: float, sigma: float) -> list[list[int]]:
    """For every point, the numbers of the rules it trips (empty when in control)."""
    flags: list[list[int]] = []
    for i, x in enumerate(points):
        rules = []
        if abs(x - center) > 3 * sigma:
            rules.append(1)
        if _count_of(points, i, 3, 2, center, 2 * sigma):
            rules.append(2)
        if _count_of(points, i, 5, 4, center, sigma):
            rules.append(3)
        if _run(points, i, 8, center):
            rules.append(4)
        flags.append(rules)
    return flags
