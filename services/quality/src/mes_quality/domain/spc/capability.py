"""Process capability against the specification limits: Cp, Cpk (and its two sides)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Capability:
    """None where a ratio is undefined: a one-sided spec has no Cp; σ = 0 has no ratios."""

    cp: float | None
    cpk: float | None
    cpu: float | None
    cpl: float | None


def capability(mean: float, sigma: float, lower: float | None, upper: float | None) -> Capability:
    """Cp = (USL − LSL) / 6σ, Cpu = (USL − μ) / 3σ, Cpl = (μ − LSL) / 3σ, Cpk = min of the two."""
    if sigma <= 0:
        return Capability(None, None, None, None)
    cpu = None if upper is None else (upper - mean) / (3 * sigma)
    cpl = None if lower is None else (mean - lower) / (3 * sigma)
    cp = None if upper is None or lower is None else (upper - lower) / (6 * sigma)
    sides = [c for c in (cpu, cpl) if c is not None]
    return Capability(cp, min(sides) if sides else None, cpu, cpl)
