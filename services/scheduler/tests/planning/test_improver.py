"""The improver: better plans adopted, worse, stale or infeasible ones never."""

from __future__ import annotations

import random
import threading
from dataclasses import replace

from mes_scheduler.planning import repair, scenarios
from mes_scheduler.planning.checker import assert_feasible
from mes_scheduler.planning.improver import (
    ImproveResult,
    ImproverSettings,
    adopt,
    alternating,
    improve,
)
from mes_scheduler.planning.objective import score
from mes_scheduler.planning.plan import Plan, Slot, empty_plan

FAST = ImproverSettings(time_limit=0.5, workers=2)


def _busy_plan(seed: int = 7, orders: int = 12) -> Plan:
    rng = random.Random(seed)
    plan = empty_plan(scenarios.plant(rng, 2, 2, shifts=False))
    for i in range(orders):
        o = scenarios.order(rng, plan.plant, f"O{i:02d}", 0, max_ops=3)
        plan = repair.order_added(plan, replace(o, due=o.due // 4), 0).plan
    return plan


def test_improver_result_is_feasible_and_never_worse_once_adopted() -> None:
    plan = _busy_plan()
    result = improve(plan, 0, FAST)
    assert result.plan is not None and result.base_revision == plan.revision
    assert_feasible(result.plan, base=plan, now=0)
    adopted = adopt(plan, result, 0)
    if adopted is None:
        assert result.score is not None and not result.score.beats(score(plan))
    else:
        assert score(adopted.plan) < score(plan)
        assert adopted.plan.revision == plan.revision + 1


def test_cold_solve_also_yields_a_feasible_plan() -> None:
    plan = _busy_plan(seed=8)
    result = improve(plan, 0, replace(FAST, warm_start=False))
    assert result.plan is not None
    assert_feasible(result.plan, base=plan, now=0)


def test_stale_result_is_not_adopted() -> None:
    plan = _busy_plan()
    result = improve(plan, 0, FAST)
    newer = repair.order_amended(plan, "O00", 0, due=1).plan
    assert adopt(newer, result, 0) is None


def test_worse_result_is_not_adopted() -> None:
    plan = _busy_plan()
    worse = repair.material_changed(plan, plan.routing["O00"][0], 10_000, 0).plan
    fake = ImproveResult(plan.revision, worse, score(worse), "FEASIBLE", 0.0)
    assert adopt(plan, fake, 0) is None


def test_infeasible_result_is_not_adopted_even_if_it_scores_better() -> None:
    plan = _busy_plan()
    squeezed = {op: Slot(s.work_center, 0, 1) for op, s in plan.slots.items()}
    bogus = replace(plan, slots=squeezed)
    fake = ImproveResult(plan.revision, bogus, score(bogus), "FEASIBLE", 0.0)
    assert score(bogus) < score(plan)
    assert adopt(plan, fake, 0) is None


def test_rolling_window_keeps_the_rest_fixed_and_feasible() -> None:
    plan = _busy_plan(orders=20)
    result = improve(plan, 0, replace(FAST, full_solve_limit=5, window_ops=8, window_offset=1))
    assert result.plan is not None
    assert_feasible(result.plan, base=plan, now=0)


def test_cancel_stops_the_search_early() -> None:
    plan = _busy_plan(orders=30)
    cancel = threading.Event()
    cancel.set()
    result = improve(plan, 0, replace(FAST, time_limit=5.0, warm_start=False), cancel=cancel)
    assert result.seconds < 2.0


def test_background_rounds_alternate_warm_and_cold_and_roll_the_window() -> None:
    rounds = [alternating(FAST, i) for i in range(4)]
    assert [r.warm_start for r in rounds] == [True, False, True, False]
    assert [r.window_offset for r in rounds] == [0, 1, 2, 3]


def test_overlapping_breakdowns_and_shift_calendars_still_give_a_model() -> None:
    rng = random.Random(11)
    plan = empty_plan(scenarios.plant(rng, 2, 2, shifts=True, frozen=30))
    for i in range(10):
        plan = repair.order_added(plan, scenarios.order(rng, plan.plant, f"O{i}", 0), 0).plan
    wc = sorted(plan.sequences)[0]
    plan = repair.work_center_down(plan, wc, 400, 900).plan
    plan = repair.work_center_down(plan, wc, 500, 1200).plan
    result = improve(plan, 500, FAST)
    assert result.plan is not None, result.status
    assert_feasible(result.plan, base=plan, now=500)
