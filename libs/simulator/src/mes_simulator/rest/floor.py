"""What the REST driver knows of the floor, and the context its actors share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.model import Operation, run_minutes
from mes_simulator.catalog import Step
from mes_simulator.outcomes import Outcome
from mes_simulator.rest.api import Api
from mes_simulator.scenario import OrderSpec, Scenario
from mes_simulator.warp import WarpedClock


def say(message: str) -> None:
    print(f"[simulator] {message}", flush=True)  # noqa: T201 - console program


@dataclass
class Job:
    """A job running on a center as its operator sees it; times in scenario minutes."""

    job_id: str
    order_id: str
    order: OrderSpec | None
    seq: int
    pieces: int
    outcome: Outcome
    remaining: float
    since: float
    end: float
    busy: float = 0.0
    ideal: float = 0.0


@dataclass
class Center:
    id: str
    group: str
    efficiency: float
    up: bool = True
    job: Job | None = None


@dataclass
class Floor:
    """Our orders by the service's id, the centers, and what the jobs produced."""

    orders: dict[str, OrderSpec] = field(default_factory=dict)
    pieces: dict[str, int] = field(default_factory=dict)  # order -> good pieces flowing
    centers: dict[str, Center] = field(default_factory=dict)
    inspected: set[str] = field(default_factory=set)
    decided: set[str] = field(default_factory=set)
    short_since: dict[str, float] = field(default_factory=dict)
    done_jobs: set[str] = field(default_factory=set)
    last_orders: list[dict[str, Any]] = field(default_factory=list)  # the last poll of /orders
    busy: float = 0.0
    ideal: float = 0.0
    good: int = 0
    made: int = 0
    scrap: int = 0


@dataclass
class Context:
    """Shared by the actors: the API, the world, plant time, the floor, the run's id."""

    api: Api
    scenario: Scenario
    clock: WarpedClock
    run_id: str
    floor: Floor
    calendar: Availability
    notes: set[str] = field(default_factory=set)
    operators: bool = True

    def has(self, service: str) -> bool:
        return service in self.api.clients

    def note_once(self, message: str) -> None:
        if message not in self.notes:
            self.notes.add(message)
            say(message)

    def key(self, order_id: str, seq: int) -> str:
        """The operation's id in the scenario, which its random outcomes are drawn from."""
        order = self.floor.orders.get(order_id)
        return f"{order.id if order else order_id}.{seq}"


def step_of(order: OrderSpec | None, seq: int) -> Step | None:
    """The product's routing step `seq` (None for rework and unknown orders)."""
    if order is None:
        return None
    return next((s for s in order.product.steps if s.seq == seq), None)


def standard_minutes(step: Step, pieces: int, efficiency: float) -> int:
    """Setup plus run minutes as the planning engine counts them."""
    op = Operation("", "", step.group, step.per_unit)
    return step.setup + run_minutes(op, pieces, efficiency)


def minutes_between(start: str, end: str) -> int:
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(delta.total_seconds() / 60)
