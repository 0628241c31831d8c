"""Test support: a small seeded scenario and a policy wrapper that records what it was told."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mes_scheduler.planning.events import Event
from mes_simulator.policies.base import Policy
from mes_simulator.scenario import ScenarioSettings

# Inspections fail more often than by default so that rework shows up in a short run.
SMALL = ScenarioSettings(
    seed=7,
    days=0.75,
    layout=(("SAW", 1), ("CNC", 2), ("PAINT", 1)),
    products=4,
    inspection_fail_rate=0.3,
)


@dataclass
class Recorder:
    """Passes everything to `inner` and keeps the events it saw."""

    inner: Policy
    events: list[Event] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    def observe(self, event: Event) -> None:
        self.events.append(event)
        self.inner.observe(event)

    def tick(self, now: int) -> None:
        self.inner.tick(now)

    def dispatch_list(self, center: str, now: int) -> Sequence[str]:
        return self.inner.dispatch_list(center, now)

    def stats(self) -> dict[str, int]:
        return self.inner.stats()
