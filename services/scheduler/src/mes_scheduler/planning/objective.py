"""The lexicographic objective: weighted tardiness, then makespan or flow time."""

from __future__ import annotations

from dataclasses import dataclass

from mes_scheduler.planning.model import Secondary
from mes_scheduler.planning.plan import Plan


@dataclass(frozen=True, slots=True, order=True)
class Score:
    """Compared as a tuple: lower is better."""

    weighted_tardiness: float
    secondary: int

    def beats(self, other: Score, *, threshold: float = 0.0) -> bool:
        """True if strictly better than `other` by at least a relative `threshold`."""
        if self.weighted_tardiness != other.weighted_tardiness:
            margin = threshold * max(other.weighted_tardiness, 1.0)
            return self.weighted_tardiness < other.weighted_tardiness - margin
        margin_s = threshold * max(other.secondary, 1)
        return self.secondary < other.secondary - margin_s


def completion(plan: Plan, order_id: str) -> int:
    """End of the order's last open operation."""
    return plan.slots[plan.routing[order_id][-1]].end


def score(plan: Plan) -> Score:
    """Objective value of `plan` over its open orders."""
    tardiness = 0.0
    makespan = 0
    flow = 0
    for order_id in sorted(plan.orders):
        order = plan.orders[order_id]
        end = completion(plan, order_id)
        tardiness += order.weight * max(0, end - order.due)
        makespan = max(makespan, end)
        flow += end
    secondary = makespan if plan.plant.secondary is Secondary.MAKESPAN else flow
    return Score(round(tardiness, 6), secondary)


def weighted_tardiness(plan: Plan) -> float:
    """First level of the objective alone."""
    return score(plan).weighted_tardiness
