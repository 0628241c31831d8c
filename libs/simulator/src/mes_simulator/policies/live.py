"""The live planner: the engine's incremental repair on every event, plus a small improver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mes_scheduler.planning.events import Event, apply
from mes_scheduler.planning.improver import adopt
from mes_scheduler.planning.model import Plant
from mes_scheduler.planning.plan import empty_plan
from mes_simulator.policies.cpsat import solve


@dataclass(frozen=True, slots=True)
class LiveSettings:
    """An improver round every `improve_every` plant minutes with `improve_budget` (0: none)."""

    improve_every: int = 60
    improve_budget: float = 0.5


class LivePolicy:
    """What the scheduler service does: repair at once, improve in the background."""

    name = "live"

    def __init__(self, plant: Plant, settings: LiveSettings | None = None) -> None:
        self.plan = empty_plan(plant)
        self.settings = settings or LiveSettings()
        self.last_round = 0
        self.rounds = 0
        self.adopted = 0

    def observe(self, event: Event) -> None:
        self.plan = apply(self.plan, event).plan

    def tick(self, now: int) -> None:
        s = self.settings
        if s.improve_budget <= 0 or now - self.last_round < s.improve_every:
            return
        self.last_round = now
        self.rounds += 1
        result = solve(self.plan, now, warm=True, budget=s.improve_budget, seed=self.rounds)
        adopted = adopt(self.plan, result, now)
        if adopted is not None:
            self.plan = adopted.plan
            self.adopted += 1

    def dispatch_list(self, center: str, now: int) -> Sequence[str]:
        return [op for op in self.plan.sequences[center] if op not in self.plan.started]

    def stats(self) -> dict[str, int]:
        return {"improver_rounds": self.rounds, "improver_adopted": self.adopted}
