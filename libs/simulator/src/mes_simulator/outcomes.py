"""What happens when an operation runs, drawn from the seed and the operation's id alone.

Drawing per operation (not from one shared stream) keeps outcomes identical across
policies that run operations in different orders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from mes_simulator.catalog import Characteristic
from mes_simulator.scenario import ScenarioSettings


@dataclass(frozen=True, slots=True)
class Outcome:
    """Actual / standard duration, inspection result, rework minutes and scrapped pieces."""

    factor: float
    inspection_failed: bool
    rework_minutes: int
    scrap: int


def _rng(settings: ScenarioSettings, op_id: str) -> random.Random:
    # Seeding with a string hashes it with SHA-512: stable across runs and processes.
    return random.Random(f"{settings.seed}/{op_id}")


def outcome(settings: ScenarioSettings, op_id: str, pieces: int, *, inspected: bool) -> Outcome:
    """The outcome of running `op_id` on `pieces` pieces."""
    rng = _rng(settings, op_id)
    sigma = settings.duration_noise
    factor = rng.lognormvariate(-(sigma**2) / 2, sigma) if sigma > 0 else 1.0
    failed = rng.random() < settings.inspection_fail_rate
    rework = rng.randint(20, 60)
    scrap = sum(1 for _ in range(pieces) if rng.random() < settings.scrap_rate)
    return Outcome(factor, inspected and failed, rework, scrap)


WEAR_PERIOD = 8 * 60  # plant minutes between tool changes


def wear(settings: ScenarioSettings, center: str, minute: float) -> float:
    """How far a center's process mean has drifted, as a fraction of the tolerance.

    A sawtooth: the tool wears from -0.3 to +0.6 of the tolerance over a shift, then is
    changed; each center has its own phase. This is what an SPC chart should pick up.
    """
    phase = random.Random(f"{settings.seed}/{center}/wear").random()
    return -0.3 + 0.9 * ((minute / WEAR_PERIOD + phase) % 1.0)


def measurements(
    settings: ScenarioSettings,
    op_id: str,
    characteristics: tuple[Characteristic, ...],
    sample_size: int,
    *,
    failed: bool,
    drift: float = 0.0,
) -> list[tuple[str, int, Decimal]]:
    """(characteristic, sample, value): in spec around the mean shifted by `drift` x the
    tolerance, with one value out of spec if `failed`."""
    rng = random.Random(f"{settings.seed}/{op_id}/measure")
    values: list[tuple[str, int, Decimal]] = []
    for c in characteristics:
        tol = float(c.upper - c.nominal)
        mean = float(c.nominal) + drift * tol + rng.gauss(0, tol / 10)
        for sample in range(1, sample_size + 1):
            v = mean + rng.gauss(0, tol / 6)
            v = min(max(v, float(c.lower)), float(c.upper))
            values.append((c.name, sample, Decimal(f"{v:.4f}")))
    if failed and values:
        name, sample, _ = values[0]
        c = next(ch for ch in characteristics if ch.name == name)
        over = float(c.upper) + float(c.upper - c.nominal) * rng.uniform(0.1, 0.5)
        values[0] = (name, sample, Decimal(f"{over:.4f}"))
    return values
