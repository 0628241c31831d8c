"""What the simulation's parts share: the shop's state, the event queue, the policy's ear."""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.events import Event
from mes_scheduler.planning.model import DAY
from mes_simulator.floor import CenterState, OpState, OrderState
from mes_simulator.policies.base import Policy
from mes_simulator.scenario import Scenario
from mes_simulator.stock import Stock

# Within one minute: completions free machines first, then repairs, receipts, arrivals.
COMPLETE, UP, RECEIPT, ARRIVAL, DOWN, WAKE = range(6)
NO_PO_LEAD_TIME = 3 * DAY


@dataclass
class Run:
    """Everything a run leaves behind, for the KPIs and the invariant checks."""

    policy: str
    scenario: Scenario
    orders: dict[str, OrderState]
    ops: dict[str, OpState]
    centers: dict[str, CenterState]
    stock: Stock
    end: int = 0
    events: int = 0
    cpu_seconds: float = 0.0
    cpu_max: float = 0.0
    head_changes: int = 0
    wip_area: float = 0.0
    open_reasons: dict[str, str] = field(default_factory=dict)
    policy_stats: dict[str, int] = field(default_factory=dict)


class Shop:
    """The state of one simulation run and the two things every part does: schedule, tell."""

    def __init__(self, scenario: Scenario, policy: Policy, *, strict: bool) -> None:
        self.scenario = scenario
        self.policy = policy
        self.strict = strict
        self.now = 0
        self.heap: list[tuple[int, int, int, Any]] = []
        self.counter = itertools.count()
        self.calendar = Availability(scenario.calendar)
        self.arrived = 0
        centers = {c.id: CenterState(c) for c in scenario.centers}
        self.run_ = Run(policy.name, scenario, {}, {}, centers, Stock())

    def _at(self, t: int, rank: int, payload: Any) -> None:
        heapq.heappush(self.heap, (t, rank, next(self.counter), payload))

    def _timed(self, call: Any, *, count: bool = True) -> None:
        began = time.process_time()
        call()
        spent = time.process_time() - began
        self.run_.cpu_seconds += spent
        self.run_.cpu_max = max(self.run_.cpu_max, spent)
        self.run_.events += 1 if count else 0

    def _emit(self, event: Event) -> None:
        self._timed(lambda: self.policy.observe(event))
