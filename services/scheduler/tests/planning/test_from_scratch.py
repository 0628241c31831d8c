"""Building a plan from scratch: dispatch rules, then critical-path polishing."""

from __future__ import annotations

import random

from mes_scheduler.planning import repair, scenarios
from mes_scheduler.planning.builders import order
from mes_scheduler.planning.checker import assert_feasible
from mes_scheduler.planning.dispatch import RULES, regenerate
from mes_scheduler.planning.local_search import draft_score, polish
from mes_scheduler.planning.model import Order, Plant, WorkCenter
from mes_scheduler.planning.objective import score
from mes_scheduler.planning.plan import Draft, empty_plan
from mes_scheduler.planning.repair_orders import add_order_ops

FT06 = [
    [(2, 1), (0, 3), (1, 6), (3, 7), (5, 3), (4, 6)],
    [(1, 8), (2, 5), (4, 10), (5, 10), (0, 10), (3, 4)],
    [(2, 5), (3, 4), (5, 8), (0, 9), (1, 1), (4, 7)],
    [(1, 5), (0, 5), (2, 5), (3, 3), (4, 8), (5, 9)],
    [(2, 9), (1, 3), (4, 5), (5, 4), (0, 3), (3, 1)],
    [(1, 3), (3, 3), (5, 9), (0, 10), (4, 4), (2, 1)],
]


def _ft06() -> tuple[Plant, list[Order]]:
    plant = Plant(tuple(WorkCenter(f"M{m}", f"M{m}") for m in range(6)))
    orders = [
        order(f"J{j}", 10**6, *((f"M{m}", float(d)) for m, d in job), quantity=1)
        for j, job in enumerate(FT06)
    ]
    return plant, orders


def test_every_rule_builds_a_feasible_plan() -> None:
    plant, orders = _ft06()
    for rule in sorted(RULES):
        draft = Draft(empty_plan(plant), 0)
        for o in orders:
            add_order_ops(draft, o)
        regenerate(draft, rule)
        assert_feasible(draft.to_plan())


def test_from_scratch_reaches_the_ft06_optimum() -> None:
    plant, orders = _ft06()
    plan = repair.plan_from_scratch(empty_plan(plant), orders, 0).plan
    assert_feasible(plan)
    assert score(plan).secondary == 55


def test_polish_never_worsens_and_stays_feasible() -> None:
    rng = random.Random(5)
    plant = scenarios.plant(rng, 3, 2, shifts=True)
    draft = Draft(empty_plan(plant), 0)
    for i in range(15):
        add_order_ops(draft, scenarios.order(rng, plant, f"O{i}", 0))
    regenerate(draft, "spt")
    before = draft_score(draft)
    assert polish(draft, evaluations=300) <= before
    assert_feasible(draft.to_plan())


def test_small_plans_also_try_a_regeneration_and_keep_the_better() -> None:
    rng = random.Random(9)
    plan = empty_plan(scenarios.plant(rng, 2, 2, shifts=False))
    for i in range(8):
        new = scenarios.order(rng, plan.plant, f"O{i}", 0)
        result = repair.order_added(plan, new, 0)
        assert_feasible(result.plan, base=plan, now=0)
        plan = result.plan
