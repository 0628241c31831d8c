"""The discrete-event simulation of the shop under one planning policy.

The world (arrivals, receipts, breakdowns, per-operation outcomes) comes from the scenario;
the policy hears every event as the planning engine's event values and shows each line
terminal a dispatch list; operators start the first ready job on it. Time is integer
minutes and jumps from event to event, so a week of plant time takes seconds.
"""

from __future__ import annotations

import heapq
from typing import Any

from mes_scheduler.planning.model import DAY
from mes_simulator.floor import open_reason
from mes_simulator.operators import Operators
from mes_simulator.policies.base import Policy
from mes_simulator.scenario import Scenario
from mes_simulator.shop import ARRIVAL, COMPLETE, DOWN, RECEIPT, UP, WAKE, Run
from mes_simulator.world import World

__all__ = ["Run", "Simulation"]


class Simulation(World, Operators):
    """One scenario under one policy; `run()` plays it until every order is done or the limit."""

    def __init__(
        self, scenario: Scenario, policy: Policy, *, limit: int | None = None, strict: bool = False
    ) -> None:
        super().__init__(scenario, policy, strict=strict)
        self.limit = limit if limit is not None else scenario.arrivals_end + 30 * DAY
        self.heads: dict[str, str | None] = {}
        for o in scenario.orders:
            self._at(o.arrival, ARRIVAL, o)
        for r in scenario.receipts:
            self._at(r.at, RECEIPT, r)
        for b in scenario.breakdowns:
            self._at(b.at, DOWN, b)

    def run(self) -> Run:
        """Play the scenario; returns the final state of the shop."""
        r = self.run_
        while self.heap and not self._finished():
            t = self.heap[0][0]
            if t > self.limit:
                break
            wip = sum(1 for o in r.orders.values() if o.started and o.completed_at is None)
            r.wip_area += wip * (t - self.now)
            self.now = t
            while self.heap and self.heap[0][0] == t:
                _, rank, _, payload = heapq.heappop(self.heap)
                self._handle(rank, payload)
            self._dispatch()
            self._timed(lambda: self.policy.tick(self.now), count=False)
            self._watch_heads()
        r.end = self.now
        r.open_reasons = {
            oid: open_reason(o, r.ops, r.centers)
            for oid, o in sorted(r.orders.items())
            if o.completed_at is None
        }
        r.open_reasons |= {o.id: "not yet arrived" for o in self.scenario.orders[self.arrived :]}
        r.policy_stats = self.policy.stats()
        return r

    def _finished(self) -> bool:
        done = all(o.completed_at is not None for o in self.run_.orders.values())
        return self.arrived == len(self.scenario.orders) and done

    def _handle(self, rank: int, payload: Any) -> None:
        if rank == COMPLETE:
            self._complete(*payload)
        elif rank == UP:
            self._up(payload)
        elif rank == RECEIPT:
            self._receive(payload)
        elif rank == ARRIVAL:
            self._arrive(payload)
        elif rank == DOWN:
            self._down(payload)
        elif rank == WAKE:
            self.run_.centers[payload].wake_at = None

    def _watch_heads(self) -> None:
        """Count changes of what a terminal shows next while that job still waits."""
        r = self.run_
        for center in sorted(r.centers):
            shown = self.policy.dispatch_list(center, self.now)
            head = shown[0] if shown else None
            before = self.heads.get(center)
            if before is not None and head != before and r.ops[before].status == "waiting":
                r.head_changes += 1
            self.heads[center] = head
