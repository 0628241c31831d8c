"""Insertion search: the bounds that keep it cheap never change what it would find."""

from __future__ import annotations

import random

import pytest

from mes_scheduler.planning import insertion, repair, scenarios
from mes_scheduler.planning.insertion import Option
from mes_scheduler.planning.plan import Draft, Plan, empty_plan
from mes_scheduler.planning.repair_orders import add_order_ops


def _dense(seed: int) -> Plan:
    rng = random.Random(seed)
    plant = scenarios.plant(rng, 2, 2, shifts=True, frozen=30)
    orders = [scenarios.order(rng, plant, f"I{i}", 0) for i in range(90)]
    return repair.plan_from_scratch(empty_plan(plant), orders, 0, rules=["atc"], polish_best=0).plan


def _pushes(draft: Draft, op_id: str) -> list[Option]:
    """Every first pushing position per center, as `best_option` would collect them."""
    job = insertion._Job(
        op_id, *insertion._bounds(draft, op_id), 1.0, insertion.operation_due(draft, op_id)
    )
    pushes: list[Option] = []
    for wc in draft.plant.centers_of(draft.operations[op_id].group):
        pushes += insertion._scan(draft, job, wc)[1]
    return pushes


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_push_predicted_to_go_too_far_would_have_been_abandoned(seed: int) -> None:
    plan = _dense(seed)
    rng = random.Random(seed + 100)
    predicted = 0
    for k in range(25):
        draft = Draft(plan, 0)
        draft.trial_budget = 10**9
        order = scenarios.order(rng, plan.plant, f"N{k}", 0)
        add_order_ops(draft, order)
        op_id = order.operations[0].id
        for push in _pushes(draft, op_id):
            if not insertion._pushes_too_far(draft, op_id, push):
                continue
            predicted += 1
            due = insertion.operation_due(draft, op_id)
            assert insertion._trial(draft, op_id, push.work_center, push.position, due) is None
    assert predicted > 0
