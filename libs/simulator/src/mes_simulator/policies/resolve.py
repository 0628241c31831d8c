"""Baseline: a full CP-SAT re-solve of the open work on every event, time-boxed."""

from __future__ import annotations

from collections.abc import Sequence

from mes_scheduler.planning.checker import check
from mes_scheduler.planning.events import Event, apply
from mes_scheduler.planning.model import Plant
from mes_scheduler.planning.objective import score
from mes_scheduler.planning.plan import empty_plan
from mes_simulator.policies.cpsat import solve


class ResolvePolicy:
    """Each event enters the plan, then CP-SAT solves all unfrozen work again from scratch.

    Cold (no hint from the current plan), as a re-solving planner does. Its answer is
    taken unless the exact score is worse than the plan with the event merely entered,
    or it is infeasible; that makes this baseline as strong as it can be at its budget.
    """

    name = "resolve"

    def __init__(self, plant: Plant, budget: float = 1.0) -> None:
        self.plan = empty_plan(plant)
        self.budget = budget
        self.solves = 0
        self.taken = 0
        self.no_solution = 0

    def observe(self, event: Event) -> None:
        entered = apply(self.plan, event).plan
        self.solves += 1
        result = solve(entered, event.at, warm=False, budget=self.budget, seed=self.solves)
        self.plan = entered
        if result.plan is None or result.score is None:
            self.no_solution += 1
            return
        if score(entered).beats(result.score) or check(result.plan, base=entered, now=event.at):
            return
        self.plan = result.plan
        self.taken += 1

    def tick(self, now: int) -> None:
        return None

    def dispatch_list(self, center: str, now: int) -> Sequence[str]:
        return [op for op in self.plan.sequences[center] if op not in self.plan.started]

    def stats(self) -> dict[str, int]:
        return {"solves": self.solves, "taken": self.taken, "no_solution": self.no_solution}
