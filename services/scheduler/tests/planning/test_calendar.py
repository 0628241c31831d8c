"""Calendar-aware durations: weekends, holidays, downtime that starts mid-operation."""

from __future__ import annotations

from mes_scheduler.planning import repair
from mes_scheduler.planning.builders import op
from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.checker import assert_feasible, working_minutes
from mes_scheduler.planning.model import DAY, WEEK, Calendar, Order, Plant, Window, WorkCenter
from mes_scheduler.planning.plan import empty_plan

OFFICE = Calendar(weekly=tuple(Window(d * DAY + 480, d * DAY + 960) for d in range(5)))
FRIDAY_15 = 4 * DAY + 900
NEXT_MONDAY_8 = WEEK + 480


def test_interruptible_work_pauses_over_the_weekend() -> None:
    assert Availability(OFFICE).place(FRIDAY_15, 120, True) == (FRIDAY_15, NEXT_MONDAY_8 + 60)


def test_non_interruptible_work_waits_for_a_window_long_enough() -> None:
    assert Availability(OFFICE).place(FRIDAY_15, 120, False) == (
        NEXT_MONDAY_8,
        NEXT_MONDAY_8 + 120,
    )


def test_holiday_is_skipped() -> None:
    holiday = Calendar(OFFICE.weekly, exceptions=(Window(WEEK, WEEK + DAY),))
    tuesday_8 = WEEK + DAY + 480
    assert Availability(holiday).place(FRIDAY_15, 120, True) == (FRIDAY_15, tuesday_8 + 60)


def test_start_outside_working_time_moves_to_the_next_window() -> None:
    saturday = 5 * DAY + 600
    assert Availability(OFFICE).place(saturday, 30, True) == (NEXT_MONDAY_8, NEXT_MONDAY_8 + 30)


def test_engine_and_checker_agree_on_working_minutes() -> None:
    cal = Calendar(
        OFFICE.weekly, (Window(DAY + 500, DAY + 700),), (Window(3 * DAY, 3 * DAY + 600),)
    )
    avail = Availability(cal)
    for start in range(0, 2 * WEEK, 97):
        for work in (1, 59, 480, 1000):
            begin, end = avail.place(start, work, True)
            assert working_minutes(cal, begin, end) == work
            assert avail.working_minutes(begin, end) == work


def _office_plan() -> tuple[Plant, Order]:
    plant = Plant((WorkCenter("m1", "g", calendar=OFFICE),))
    return plant, Order("A", 10, 10 * DAY, 1.0, (op("A.0", "g", 24.0),))


def test_operation_spanning_a_weekend_in_a_plan() -> None:
    plant, order = _office_plan()
    plan = repair.order_added(empty_plan(plant), order, FRIDAY_15).plan
    assert plan.slots["A.0"].start == FRIDAY_15
    assert plan.slots["A.0"].end == NEXT_MONDAY_8 + 240 - 60
    assert_feasible(plan)


def test_downtime_starting_mid_operation_pauses_it() -> None:
    plant, order = _office_plan()
    monday_9 = 540
    plan = repair.order_added(empty_plan(plant), order, monday_9).plan
    plan = repair.operation_started(plan, "A.0", "m1", monday_9, monday_9).plan
    assert plan.slots["A.0"].end == monday_9 + 240
    result = repair.work_center_down(plan, "m1", monday_9 + 60, monday_9 + 160)
    assert result.plan.slots["A.0"].start == monday_9
    assert result.plan.slots["A.0"].end == monday_9 + 340
    assert [c.op_id for c in result.diff.changes] == ["A.0"]
    assert_feasible(result.plan, base=plan, now=monday_9 + 60)
