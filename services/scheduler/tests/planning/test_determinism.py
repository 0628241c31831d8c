"""Same events, same plan: the repair is replayable from the event log."""

from __future__ import annotations

import random

from mes_scheduler.planning import scenarios
from mes_scheduler.planning.events import Event, apply
from mes_scheduler.planning.plan import Plan, empty_plan


def _replay(start: Plan, events: list[Event]) -> Plan:
    plan = start
    for event in events:
        plan = apply(plan, event).plan
    return plan


def test_replaying_the_same_events_gives_the_same_plan() -> None:
    rng = random.Random(3)
    start = empty_plan(scenarios.plant(rng, 3, 2, frozen=30))
    stream = scenarios.EventStream(random.Random(4))
    events: list[Event] = []
    plan = start
    while len(events) < 150:
        event = stream.next(plan)
        if event is not None:
            events.append(event)
            plan = apply(plan, event).plan
    first, second = _replay(start, events), _replay(start, events)
    assert first.slots == second.slots == plan.slots
    assert first.sequences == second.sequences
    assert first.revision == second.revision == 150
