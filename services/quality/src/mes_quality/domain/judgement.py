"""Judging a sample against an inspection spec: limits inclusive, values in the spec's unit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from mes_events.catalog.common import Characteristic, InspectionSpec
from mes_events.catalog.quality import Measurement
from mes_quality.domain.errors import InvalidInput
from mes_quality.domain.units import UnitMismatch, convert


@dataclass(frozen=True, slots=True)
class Sample:
    """The values measured for one characteristic, one per sampled piece, in `unit`."""

    characteristic: str
    values: tuple[Decimal, ...]
    unit: str | None = None  # None: the characteristic's own unit


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome: measurements in the spec's units, what failed and on how many pieces."""

    measurements: tuple[Measurement, ...]
    failed_characteristics: tuple[str, ...]
    failed_pieces: tuple[int, ...]
    outside: dict[str, int]

    @property
    def passed(self) -> bool:
        return not self.failed_characteristics

    @property
    def failed_count(self) -> int:
        return len(self.failed_pieces)


def within(value: Decimal, c: Characteristic) -> bool:
    """Inside the limits, both inclusive; a missing limit does not bound that side."""
    return (c.lower is None or value >= c.lower) and (c.upper is None or value <= c.upper)


def judge(spec: InspectionSpec, samples: Sequence[Sample]) -> Verdict:
    """Check the samples against the spec and judge them; InvalidInput names a bad field."""
    by_name = {c.name: c for c in spec.characteristics}
    seen: set[str] = set()
    measurements: list[Measurement] = []
    outside: dict[str, int] = {}
    bad_pieces: set[int] = set()
    for i, s in enumerate(samples):
        c = _characteristic(by_name, seen, s, i, spec.sample_size)
        for piece, value in enumerate(_in_spec_unit(s, c, i), start=1):
            measurements.append(Measurement(characteristic=c.name, sample=piece, value=value))
            if not within(value, c):
                outside[c.name] = outside.get(c.name, 0) + 1
                bad_pieces.add(piece)
    missing = [name for name in by_name if name not in seen]
    if missing:
        raise InvalidInput(("measurements",), f"no measurements for {', '.join(missing)}")
    failed = tuple(c.name for c in spec.characteristics if c.name in outside)
    return Verdict(tuple(measurements), failed, tuple(sorted(bad_pieces)), outside)


def _characteristic(
    by_name: dict[str, Characteristic], seen: set[str], s: Sample, i: int, size: int
) -> Characteristic:
    c = by_name.get(s.characteristic)
    if c is None:
        known = ", ".join(by_name)
        raise InvalidInput(
            ("measurements", i, "characteristic"),
            f"{s.characteristic!r} is not in the inspection plan ({known})",
        )
    if c.name in seen:
        raise InvalidInput(("measurements", i, "characteristic"), f"{c.name} given twice")
    seen.add(c.name)
    if len(s.values) != size:
        raise InvalidInput(
            ("measurements", i, "values"),
            f"{c.name}: sample size is {size}, got {len(s.values)} values",
        )
    return c


def _in_spec_unit(s: Sample, c: Characteristic, i: int) -> list[Decimal]:
    if s.unit is None:
        return list(s.values)
    try:
        return [convert(v, s.unit, c.unit) for v in s.values]
    except UnitMismatch as exc:
        raise InvalidInput(("measurements", i, "unit"), f"{c.name}: {exc}") from exc


def describe(spec: InspectionSpec, verdict: Verdict) -> str:
    """A person's summary of what failed, for the nonconformance report."""
    size = spec.sample_size
    parts = []
    for c in spec.characteristics:
        if c.name in verdict.outside:
            lower = "" if c.lower is None else format(c.lower, "f")
            upper = "" if c.upper is None else format(c.upper, "f")
            parts.append(
                f"{c.name}: {verdict.outside[c.name]} of {size} sampled pieces "
                f"outside [{lower}, {upper}] {c.unit}"
            )
    return "; ".join(parts)[:2000]
