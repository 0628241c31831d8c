"""Shewhart charts: individuals / moving range (n = 1) and X̄–R (n = 2..25), Phase I limits.

Individuals: CL = x̄, limits x̄ ± E2·MR̄ (E2 = 2.66), MR chart D3·MR̄ .. D4·MR̄ with n = 2.
X̄–R: CL = x̿, limits x̿ ± A2·R̄, R chart D3·R̄ .. D4·R̄. Within-subgroup σ̂ = MR̄/d2 or R̄/d2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Literal

from mes_quality.domain.spc.constants import E2, MAX_SUBGROUP, TABLE
from mes_quality.domain.spc.rules import western_electric


@dataclass(frozen=True, slots=True)
class Limits:
    lcl: float
    center: float
    ucl: float

    def beyond(self, x: float) -> bool:
        return x < self.lcl or x > self.ucl


@dataclass(frozen=True, slots=True)
class Chart:
    """The plotted points of both charts, their limits, rule breaks, and σ̂ within subgroups."""

    kind: Literal["individuals", "xbar_r"]
    subgroup_size: int
    location: list[float]
    spread: list[float | None]
    location_limits: Limits | None
    spread_limits: Limits | None
    sigma: float | None
    location_rules: list[list[int]]
    spread_beyond: list[bool]


class UnsupportedSubgroup(ValueError):
    """Subgroups larger than the constants table (an X̄–S chart would be the tool)."""


def chart(subgroups: Sequence[Sequence[float]]) -> Chart:
    """Individuals/MR for subgroups of one value, X̄–R otherwise (all of one size)."""
    sizes = {len(s) for s in subgroups}
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError("subgroups must be non-empty and all of one size")
    n = sizes.pop()
    return individuals([s[0] for s in subgroups]) if n == 1 else xbar_r(subgroups)


def individuals(values: Sequence[float]) -> Chart:
    xs = list(values)
    moving = [abs(b - a) for a, b in zip(xs, xs[1:], strict=False)]
    if not moving:
        return Chart("individuals", 1, xs, [None], None, None, None, [[]], [False])
    mr_bar, x_bar = fmean(moving), fmean(xs)
    c = TABLE[2]
    x_limits = Limits(x_bar - E2 * mr_bar, x_bar, x_bar + E2 * mr_bar)
    mr_limits = Limits(c.d3 * mr_bar, mr_bar, c.d4 * mr_bar)
    spread: list[float | None] = [None, *moving]
    return Chart(
        "individuals",
        1,
        xs,
        spread,
        x_limits,
        mr_limits,
        mr_bar / c.d2,
        western_electric(xs, x_bar, E2 * mr_bar / 3),
        [r is not None and mr_limits.beyond(r) for r in spread],
    )


def xbar_r(subgroups: Sequence[Sequence[float]]) -> Chart:
    n = len(subgroups[0])
    if n > MAX_SUBGROUP:
        raise UnsupportedSubgroup(f"subgroups of {n}: X̄–R constants go up to {MAX_SUBGROUP}")
    c = TABLE[n]
    means = [fmean(s) for s in subgroups]
    ranges = [max(s) - min(s) for s in subgroups]
    grand, r_bar = fmean(means), fmean(ranges)
    x_limits = Limits(grand - c.a2 * r_bar, grand, grand + c.a2 * r_bar)
    r_limits = Limits(c.d3 * r_bar, r_bar, c.d4 * r_bar)
    return Chart(
        "xbar_r",
        n,
        means,
        list(ranges),
        x_limits,
        r_limits,
        r_bar / c.d2,
        western_electric(means, grand, c.a2 * r_bar / 3),
        [r_limits.beyond(r) for r in ranges],
    )
