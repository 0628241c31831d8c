"""An improver result carried over the events that arrived during its round (`rebase`)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mes_scheduler.planning import repair, scenarios
from mes_scheduler.planning.checker import check
from mes_scheduler.planning.events import Event, OrderAdded, apply
from mes_scheduler.planning.improver import (
    ImproveResult,
    ImproverSettings,
    adopt,
    improve,
    rebase,
)
from mes_scheduler.planning.model import Order, Plant
from mes_scheduler.planning.objective import score
from mes_scheduler.planning.plan import Plan, empty_plan


def _orders(plant: Plant, seed: int, count: int) -> list[Order]:
    rng = random.Random(seed)
    orders = [scenarios.order(rng, plant, f"O{i:02d}", 0, max_ops=3) for i in range(count)]
    return [replace(o, due=o.due // 3) for o in orders]


def _built(plant: Plant, orders: list[Order], rule: str, polish: int) -> Plan:
    empty = empty_plan(plant)
    return repair.plan_from_scratch(empty, orders, 0, rules=[rule], polish_best=polish).plan


def _as_result(base: Plan, other: Plan) -> ImproveResult:
    """`other` (the same orders, planned differently) as if the improver had found it."""
    candidate = replace(other, revision=base.revision + 1)
    return ImproveResult(base.revision, candidate, score(candidate), "FEASIBLE", 0.0)


def _events(
    plan: Plan, seed: int, count: int, *, arrivals: bool = True
) -> tuple[Plan, list[Event], int]:
    """`count` events of a shop following `plan`: the plan after them, them, and the time."""
    stream = scenarios.EventStream(random.Random(seed))
    events: list[Event] = []
    while len(events) < count:
        event = stream.next(plan)
        if event is None or (not arrivals and isinstance(event, OrderAdded)):
            continue
        plan = apply(plan, event).plan
        events.append(event)
    return plan, events, stream.now


@pytest.fixture(scope="module")
def shop() -> tuple[Plant, list[Order]]:
    """Over 400 movable operations, so arrivals insert rather than regenerate everything
    (a regeneration would improve the current plan by itself)."""
    plant = scenarios.plant(random.Random(3), 3, 3, shifts=True, frozen=60)
    return plant, _orders(plant, 4, 220)


@pytest.fixture(scope="module")
def lpt_and_atc(shop: tuple[Plant, list[Order]]) -> tuple[Plan, Plan]:
    """The same orders planned by a poor rule (longest first) and by ATC."""
    plant, orders = shop
    return _built(plant, orders, "lpt", 0), _built(plant, orders, "atc", 0)


def test_a_better_plan_is_adopted_after_the_events_of_its_round(
    lpt_and_atc: tuple[Plan, Plan],
) -> None:
    base, better = lpt_and_atc
    result = _as_result(base, better)
    assert result.score is not None and result.score.beats(score(base), threshold=0.1)
    current, events, now = _events(base, 5, 40)
    assert now > 60, "time moved past the first frozen horizon"
    assert adopt(current, result, now) is None, "without rebasing, the result is stale"
    rebased = rebase(current, result, events, now)
    adopted = adopt(current, rebased, now, threshold=0.01)
    assert adopted is not None, rebased.status
    assert check(adopted.plan, base=current, now=now) == []
    assert score(adopted.plan) < score(current)
    assert adopted.plan.revision == current.revision + 1
    assert adopted.plan.operations.keys() == current.operations.keys()


def test_a_worse_plan_is_not_adopted_after_the_events_either(
    lpt_and_atc: tuple[Plan, Plan],
) -> None:
    worse, base = lpt_and_atc
    result = _as_result(base, worse)
    current, events, now = _events(base, 5, 40)
    rebased = rebase(current, result, events, now)
    assert rebased.plan is not None and rebased.score is not None
    assert not rebased.score.beats(score(current))
    assert adopt(current, rebased, now) is None


def test_a_missing_event_makes_the_result_stale(lpt_and_atc: tuple[Plan, Plan]) -> None:
    base, better = lpt_and_atc
    result = _as_result(base, better)
    current, events, now = _events(base, 5, 10)
    rebased = rebase(current, result, events[1:], now)
    assert rebased.plan is None and adopt(current, rebased, now) is None


def test_a_cp_sat_round_lands_on_the_plan_of_twenty_events_later() -> None:
    # Small enough for CP-SAT to improve within a second on a busy machine; no arrivals,
    # since below 400 movable operations an arrival re-plans everything by dispatch.
    plant = scenarios.plant(random.Random(6), 2, 3, shifts=True, frozen=60)
    base = _built(plant, _orders(plant, 7, 30), "lpt", 0)
    result = improve(base, 0, ImproverSettings(time_limit=1.0, workers=2))
    assert result.plan is not None and result.score is not None
    assert result.score.beats(score(base)), result.status
    current, events, now = _events(base, 8, 20, arrivals=False)
    adopted = adopt(current, rebase(current, result, events, now), now)
    assert adopted is not None
    assert check(adopted.plan, base=current, now=now) == []
    assert score(adopted.plan) < score(current)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, 10_000),
    st.sampled_from(["atc", "lpt", "edd", "fifo", "spt"]),
    st.sampled_from(["atc", "lpt", "edd", "fifo", "spt"]),
    st.integers(1, 40),
    st.sampled_from([0, 30, 120]),
)
def test_rebased_results_are_adopted_only_if_feasible_and_better(
    seed: int, rule_base: str, rule_other: str, count: int, frozen: int
) -> None:
    plant = scenarios.plant(random.Random(seed), 2, 2, shifts=seed % 2 == 0, frozen=frozen)
    orders = _orders(plant, seed + 1, 10)
    base = _built(plant, orders, rule_base, 0)
    result = _as_result(base, _built(plant, orders, rule_other, 0))
    current, events, now = _events(base, seed + 2, count)
    rebased = rebase(current, result, events, now)
    if rebased.plan is not None:
        assert check(rebased.plan, base=current, now=now) == []
    adopted = adopt(current, rebased, now)
    if adopted is not None:
        assert check(adopted.plan, base=current, now=now) == []
        assert score(adopted.plan) < score(current)
