"""The checker catches what a broken engine could produce."""

from __future__ import annotations

from dataclasses import replace

from mes_scheduler.planning import repair
from mes_scheduler.planning.builders import order
from mes_scheduler.planning.checker import check
from mes_scheduler.planning.plan import Plan, Slot


def _plan(shop: Plan) -> Plan:
    plan = repair.order_added(shop, order("A", 1000, ("cut", 1.0), ("weld", 2.0)), 0).plan
    return repair.order_added(plan, order("B", 1000, ("weld", 1.0)), 0).plan


def _with(plan: Plan, op_id: str, slot: Slot) -> Plan:
    return replace(plan, slots={**plan.slots, op_id: slot})


def test_a_valid_plan_has_no_violations(shop: Plan) -> None:
    assert check(_plan(shop)) == []


def test_overlap_on_a_work_center(shop: Plan) -> None:
    plan = _plan(shop)
    first, second = plan.sequences["weld1"]
    start = plan.slots[first].start
    bad = _with(plan, second, Slot("weld1", start + 1, start + 1 + 10 * (1 + (second == "A.1"))))
    assert any("overlaps" in v for v in check(bad))


def test_precedence(shop: Plan) -> None:
    plan = _plan(shop)
    assert any("before A.0 ends" in v for v in check(_with(plan, "A.1", Slot("weld1", 5, 25))))


def test_quantity_and_calendar(shop: Plan) -> None:
    plan = _plan(shop)
    short = _with(plan, "A.0", Slot("cut1", 0, 9))
    assert any("working minutes" in v for v in check(short))


def test_missing_operation(shop: Plan) -> None:
    plan = _plan(shop)
    seqs = {**plan.sequences, "cut1": ()}
    assert check(replace(plan, sequences=seqs))
