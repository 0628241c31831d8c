"""Started operations and those inside the frozen horizon never move."""

from __future__ import annotations

from collections.abc import Callable

from mes_scheduler.planning import repair
from mes_scheduler.planning.builders import op, order
from mes_scheduler.planning.checker import assert_feasible, check
from mes_scheduler.planning.model import DAY
from mes_scheduler.planning.plan import Plan, Slot
from mes_scheduler.planning.result import RepairResult

MONDAY_6 = 360


def _loaded(shifted_shop: Plan) -> Plan:
    plan = shifted_shop
    for name in ("A", "B", "C"):
        plan = repair.order_added(plan, order(name, 5 * DAY, ("weld", 2.0)), MONDAY_6 - 60).plan
    return plan


def test_urgent_order_does_not_jump_into_the_frozen_horizon(shifted_shop: Plan) -> None:
    plan = _loaded(shifted_shop)
    assert plan.slots["A.0"] == Slot("weld1", MONDAY_6, MONDAY_6 + 20)
    urgent = order("U", MONDAY_6 + 30, ("weld", 1.0), weight=10.0)
    after = repair.order_added(plan, urgent, MONDAY_6).plan
    assert after.slots["A.0"] == plan.slots["A.0"]
    assert after.slots["U.0"].start >= MONDAY_6 + 60
    assert_feasible(after, base=plan, now=MONDAY_6)


def test_frozen_work_stays_on_a_broken_center_and_waits(shifted_shop: Plan) -> None:
    plan = _loaded(shifted_shop)
    after = repair.work_center_down(plan, "weld1", MONDAY_6, MONDAY_6 + 45).plan
    assert after.slots["A.0"] == Slot("weld1", MONDAY_6 + 45, MONDAY_6 + 65)
    assert after.slots["B.0"] == Slot("weld1", MONDAY_6 + 65, MONDAY_6 + 85)
    assert_feasible(after, base=plan, now=MONDAY_6)


def test_started_operation_keeps_its_start_through_every_event(shifted_shop: Plan) -> None:
    plan = _loaded(shifted_shop)
    plan = repair.operation_started(plan, "A.0", "weld1", MONDAY_6 + 5, MONDAY_6 + 5).plan
    events: list[Callable[[Plan], RepairResult]] = [
        lambda p: repair.order_added(p, order("V", MONDAY_6, ("weld", 1.0), weight=9.0), 400),
        lambda p: repair.order_cancelled(p, "B", 410),
        lambda p: repair.rework_inserted(p, op("C.R", "weld", 0.2), "C.0", 420),
        lambda p: repair.order_amended(p, "C", 430, quantity=30),
    ]
    for event in events:
        result = event(plan)
        assert result.plan.slots["A.0"].start == MONDAY_6 + 5
        assert not check(result.plan, base=plan, now=430)
        plan = result.plan


def test_checker_flags_a_frozen_operation_that_moved(shifted_shop: Plan) -> None:
    plan = _loaded(shifted_shop)
    moved = dict(plan.slots)
    moved["A.0"] = Slot("weld1", MONDAY_6 + 100, MONDAY_6 + 120)
    tampered = Plan(**{**plan.__dict__, "slots": moved})
    assert any("frozen" in v for v in check(tampered, base=plan, now=MONDAY_6))
