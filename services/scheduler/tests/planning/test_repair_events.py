"""Given a plan, when an event arrives, then the diff and a feasible plan."""

from __future__ import annotations

from dataclasses import replace

from mes_scheduler.planning import repair
from mes_scheduler.planning.builders import op, order
from mes_scheduler.planning.checker import assert_feasible
from mes_scheduler.planning.plan import Plan, Slot
from mes_scheduler.planning.result import RepairResult

A = order("A", 1000, ("cut", 1.0), ("weld", 2.0))
B = order("B", 1000, ("cut", 1.0), ("weld", 1.0))


def _apply(plan: Plan, result: RepairResult, now: int) -> Plan:
    assert_feasible(result.plan, base=plan, now=now)
    assert result.plan.revision == plan.revision + 1
    return result.plan


def _changed(result: RepairResult) -> list[str]:
    return [c.op_id for c in result.diff.changes]


def _with_a(shop: Plan) -> Plan:
    return repair.order_added(shop, A, 0).plan


def test_order_added_into_an_empty_plan(shop: Plan) -> None:
    result = repair.order_added(shop, A, 0)
    plan = _apply(shop, result, 0)
    assert plan.slots["A.0"] == Slot("cut1", 0, 10)
    assert plan.slots["A.1"] == Slot("weld1", 10, 30)
    assert _changed(result) == ["A.0", "A.1"]


def test_second_order_uses_the_idle_alternative_only_if_it_finishes_earlier(shop: Plan) -> None:
    plan = _with_a(shop)
    result = repair.order_added(plan, B, 0)
    after = _apply(plan, result, 0)
    assert after.slots["B.0"] == Slot("cut1", 10, 20)
    assert after.slots["A.0"] == plan.slots["A.0"]
    assert set(_changed(result)) == {"B.0", "B.1"}


def test_urgent_order_is_inserted_ahead_of_one_with_slack(shop: Plan) -> None:
    plan = _with_a(shop)
    urgent = order("U", 25, ("weld", 2.0), weight=5.0)
    after = _apply(plan, repair.order_added(plan, urgent, 0), 0)
    assert after.slots["U.0"] == Slot("weld1", 0, 20)
    assert after.slots["A.1"].start == 20


def test_quantity_amendment_re_times_the_order(shop: Plan) -> None:
    plan = _with_a(shop)
    result = repair.order_amended(plan, "A", 0, quantity=20)
    after = _apply(plan, result, 0)
    assert after.slots["A.1"] == Slot("weld1", 20, 60)
    assert _changed(result) == ["A.0", "A.1"]


def test_due_date_and_priority_amendments_move_nothing(shop: Plan) -> None:
    plan = _with_a(shop)
    result = repair.order_amended(plan, "A", 0, due=5, weight=3.0)
    assert _apply(plan, result, 0).orders["A"].due == 5
    assert result.diff.changes == ()


def test_cancelled_order_lets_successors_move_earlier(shop: Plan) -> None:
    plan = repair.order_added(_with_a(shop), B, 0).plan
    result = repair.order_cancelled(plan, "A", 0)
    after = _apply(plan, result, 0)
    assert "A" not in after.orders and "A.0" not in after.slots
    assert after.slots["B.1"] == Slot("weld1", 10, 20)
    assert set(_changed(result)) == {"A.0", "A.1", "B.0", "B.1"}


def test_material_shortage_delays_the_operation_and_its_successors(shop: Plan) -> None:
    plan = _with_a(shop)
    result = repair.material_changed(plan, "A.0", 100, 0)
    after = _apply(plan, result, 0)
    assert after.slots["A.0"] == Slot("cut1", 100, 110)
    assert _changed(result) == ["A.0", "A.1"]


def test_operation_started_fixes_the_actual_start(shop: Plan) -> None:
    plan = _with_a(shop)
    after = _apply(plan, repair.operation_started(plan, "A.0", "cut1", 5, 5), 5)
    assert after.slots["A.0"] == Slot("cut1", 5, 15)
    assert after.slots["A.1"].start == 15


def test_late_completion_pushes_successors(shop: Plan) -> None:
    plan = repair.operation_started(_with_a(shop), "A.0", "cut1", 0, 0).plan
    result = repair.operation_completed(plan, "A.0", 25, 25)
    after = _apply(plan, result, 25)
    assert "A.0" not in after.slots
    assert after.slots["A.1"] == Slot("weld1", 25, 45)
    assert _changed(result) == ["A.0", "A.1"]


def test_early_completion_pulls_successors(shop: Plan) -> None:
    plan = repair.operation_started(_with_a(shop), "A.0", "cut1", 0, 0).plan
    after = _apply(plan, repair.operation_completed(plan, "A.0", 6, 6), 6)
    assert after.slots["A.1"] == Slot("weld1", 6, 26)


def test_last_completion_closes_the_order(shop: Plan) -> None:
    plan = repair.order_added(shop, order("S", 50, ("cut", 1.0)), 0).plan
    plan = repair.operation_started(plan, "S.0", "cut1", 0, 0).plan
    after = _apply(plan, repair.operation_completed(plan, "S.0", 10, 10), 10)
    assert after.orders == {} and after.slots == {}


def test_work_center_down_moves_unfrozen_work_to_an_alternative(shop: Plan) -> None:
    plan = _with_a(shop)
    result = repair.work_center_down(plan, "cut1", 0, 100)
    after = _apply(plan, result, 0)
    assert after.slots["A.0"] == Slot("cut2", 0, 20)
    assert _changed(result) == ["A.0", "A.1"]


def test_work_center_up_early_lets_waiting_work_start(shop: Plan) -> None:
    plan = repair.work_center_down(_with_a(shop), "weld1", 0, 1000).plan
    assert plan.slots["A.1"].start == 1000
    after = _apply(plan, repair.work_center_up(plan, "weld1", 50), 50)
    assert after.slots["A.1"] == Slot("weld1", 50, 70)


def test_a_changed_center_re_times_its_work(shop: Plan) -> None:
    plan = _with_a(shop)
    slower = replace(plan.center("weld1"), efficiency=0.5)
    result = repair.work_center_changed(plan, slower, 0)
    after = _apply(plan, result, 0)
    assert after.center("weld1").efficiency == 0.5
    assert after.slots["A.1"] == Slot("weld1", 10, 50)
    assert _changed(result) == ["A.1"]


def test_rework_is_inserted_into_the_routing(shop: Plan) -> None:
    plan = _with_a(shop)
    rework = op("A.R1", "weld", 0.5)
    result = repair.rework_inserted(plan, rework, "A.0", 0)
    after = _apply(plan, result, 0)
    assert after.routing["A"] == ("A.0", "A.R1", "A.1")
    assert after.slots["A.R1"] == Slot("weld1", 10, 15)
    assert after.slots["A.1"] == Slot("weld1", 15, 35)


def test_scrap_make_up_adds_quantity(shop: Plan) -> None:
    plan = _with_a(shop)
    result = repair.scrap_make_up(plan, "A", 5, 0)
    after = _apply(plan, result, 0)
    assert after.orders["A"].quantity == 15
    assert after.slots["A.1"] == Slot("weld1", 15, 45)
