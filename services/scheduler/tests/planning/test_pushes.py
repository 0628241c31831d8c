"""Forced delays stay local: what a delay pushes moves, the rest of the plan does not."""

from __future__ import annotations

from mes_scheduler.planning import repair
from mes_scheduler.planning.builders import order
from mes_scheduler.planning.checker import assert_feasible
from mes_scheduler.planning.insertion import settle
from mes_scheduler.planning.model import DAY, Operation, Order, Plant, WorkCenter
from mes_scheduler.planning.plan import Draft, Plan, Slot, empty_plan
from mes_scheduler.planning.repair_orders import add_order_ops
from mes_scheduler.planning.result import finish
from mes_scheduler.planning.timing import propagate, retime_all

MONDAY_6 = 360


def _queue(shifted_shop: Plan) -> Plan:
    plan = shifted_shop
    for name in ("A", "B", "C"):
        plan = repair.order_added(plan, order(name, 5 * DAY, ("weld", 2.0)), 300).plan
    return plan


def test_frozen_work_short_of_material_lets_the_queue_go_first(shifted_shop: Plan) -> None:
    plan = _queue(shifted_shop)
    assert plan.slots["A.0"] == Slot("weld1", MONDAY_6, MONDAY_6 + 20)
    result = repair.material_changed(plan, "A.0", 500, MONDAY_6 - 30)
    assert_feasible(result.plan, base=plan, now=MONDAY_6 - 30)
    # A.0 is frozen: it keeps its center but goes behind the work that can run now.
    assert result.plan.slots["A.0"] == Slot("weld1", 500, 520)
    assert result.plan.sequences["weld1"] == ("B.0", "C.0", "A.0")
    assert result.plan.slots["B.0"] == plan.slots["B.0"]
    assert result.plan.slots["C.0"] == plan.slots["C.0"]


def _started_a_then_b(shop: Plan) -> Plan:
    plan = repair.order_added(shop, order("A", 1000, ("cut", 1.0)), 0).plan
    plan = repair.order_added(plan, order("B", 1000, ("cut", 1.0)), 0).plan
    assert plan.slots["B.0"] == Slot("cut1", 10, 20)
    return repair.operation_started(plan, "A.0", "cut1", 0, 0).plan


def test_a_small_push_right_shifts(shop: Plan) -> None:
    plan = _started_a_then_b(shop)
    result = repair.order_amended(plan, "A", 0, quantity=30)
    assert_feasible(result.plan, base=plan, now=0)
    assert result.plan.slots["B.0"] == Slot("cut1", 30, 40)


def test_unfrozen_work_a_larger_push_reaches_is_re_inserted(shop: Plan) -> None:
    plan = _started_a_then_b(shop)
    draft = Draft(plan, 0)
    draft.orders["A"] = Order("A", 30, 1000, 1.0, plan.orders["A"].operations)
    settle(draft, ["A.0"], shift_limit=0)
    after = finish(draft).plan
    assert_feasible(after, base=plan, now=0)
    assert after.slots["A.0"] == Slot("cut1", 0, 30)
    # Re-inserted rather than pushed behind A.0: the idle (slower) center ends earlier.
    assert after.slots["B.0"] == Slot("cut2", 0, 20)


def _family_plan() -> Plan:
    setups = {(a, b): (5 if a == b else 30) for a in "XY" for b in "XY"}
    plant = Plant((WorkCenter("weld1", "weld"),), setups)
    draft = Draft(empty_plan(plant), 0)
    for k, (name, family) in enumerate((("P", "X"), ("D", "Y"), ("S", "Y"), ("T", "X"))):
        step = Operation(f"{name}.0", name, "weld", 1.0, family=family)
        add_order_ops(draft, Order(name, 10, 10_000, 1.0, (step,)))
        draft.place_in_sequence(step.id, "weld1", k)
    retime_all(draft)
    return finish(draft).plan


def test_held_work_moves_earlier_rather_than_push_when_its_setup_grows() -> None:
    plan = _family_plan()
    assert plan.slots["S.0"] == Slot("weld1", 50, 65)
    assert plan.slots["T.0"] == Slot("weld1", 65, 105)
    draft = Draft(plan, 0)
    seeds = draft.remove_from_sequence("D.0")
    # No pulls allowed: S.0 would hold its start, but after P.0 its setup grows from 5
    # to 30 minutes and holding would push T.0; it moves earlier instead.
    propagate(draft, seeds, pull=0)
    assert draft.slots["S.0"] == Slot("weld1", 10, 50)
    assert draft.slots["T.0"] == plan.slots["T.0"]


def test_frozen_successors_of_work_short_of_material_leave_their_queue_too(
    shifted_shop: Plan,
) -> None:
    a = order("A", 5 * DAY, ("cut", 1.0), ("weld", 1.0))
    plan = _queue_after(repair.order_added(shifted_shop, a, 300).plan)
    assert plan.slots["A.1"] == Slot("weld1", MONDAY_6 + 10, MONDAY_6 + 20)
    assert plan.sequences["weld1"][0] == "A.1"
    result = repair.material_changed(plan, "A.0", 500, MONDAY_6 - 30)
    assert_feasible(result.plan, base=plan, now=MONDAY_6 - 30)
    # A.1 is frozen too and now waits for A.0: it goes behind the weld queue rather than
    # holding it up (held in place, every job behind it would wait until 510).
    assert result.plan.slots["A.1"] == Slot("weld1", 510, 520)
    for job in ("B.0", "C.0"):
        assert result.plan.slots[job] == plan.slots[job]


def _queue_after(plan: Plan) -> Plan:
    for name in ("B", "C"):
        plan = repair.order_added(plan, order(name, 5 * DAY, ("weld", 2.0)), 300).plan
    return plan
