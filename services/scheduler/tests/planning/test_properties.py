"""Property-based: random plants and event streams, with the checker as the oracle."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mes_scheduler.planning import repair, scenarios
from mes_scheduler.planning.checker import check
from mes_scheduler.planning.diff import sequence_changes
from mes_scheduler.planning.events import apply
from mes_scheduler.planning.improver import ImproverSettings, adopt, improve
from mes_scheduler.planning.model import Plant
from mes_scheduler.planning.objective import score
from mes_scheduler.planning.plan import Plan, empty_plan

plants = st.builds(
    lambda seed, groups, per_group, shifts, frozen: scenarios.plant(
        random.Random(seed), groups, per_group, shifts=shifts, frozen=frozen
    ),
    st.integers(0, 10_000),
    st.integers(1, 3),
    st.integers(1, 3),
    st.booleans(),
    st.sampled_from([0, 30, 120]),
)


def _seeded(plan: Plan, seed: int, orders: int) -> Plan:
    rng = random.Random(seed)
    for i in range(orders):
        plan = repair.order_added(plan, scenarios.order(rng, plan.plant, f"I{i}", 0), 0).plan
    return plan


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plants, st.integers(0, 10_000), st.integers(0, 8), st.integers(10, 60))
def test_every_repair_yields_a_feasible_plan(
    plant: Plant, seed: int, orders: int, events: int
) -> None:
    plan = _seeded(empty_plan(plant), seed, orders)
    assert check(plan) == []
    stream = scenarios.EventStream(random.Random(seed + 1))
    for _ in range(events):
        event = stream.next(plan)
        if event is None:
            continue
        result = apply(plan, event)
        assert check(result.plan, base=plan, now=event.at) == [], event
        changed = {c.op_id for c in result.diff.changes}
        moved = {op for op, s in plan.slots.items() if result.plan.slots.get(op) != s}
        assert moved <= changed
        assert result.diff.sequence_changes == sequence_changes(plan, result.plan)
        plan = result.plan


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plants, st.integers(0, 10_000))
def test_adopted_improvements_are_feasible_and_better(plant: Plant, seed: int) -> None:
    plan = _seeded(empty_plan(plant), seed, 6)
    result = improve(plan, 0, ImproverSettings(time_limit=0.3, warm_start=seed % 2 == 0))
    adopted = adopt(plan, result, 0)
    if adopted is not None:
        assert check(adopted.plan, base=plan, now=0) == []
        assert score(adopted.plan) < score(plan)
