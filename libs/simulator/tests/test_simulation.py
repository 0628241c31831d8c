"""The simulated shop under every policy: invariants that must hold whatever the plan."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.events import MaterialChanged, OperationCompleted, OperationStarted
from mes_simulator.metrics import kpis
from mes_simulator.policies import NAMES, PolicySettings, make
from mes_simulator.scenario import Scenario, generate
from mes_simulator.simulation import Run, Simulation
from mes_simulator.testing import SMALL, Recorder

FAST = PolicySettings(improve_every=60, improve_budget=0.05, resolve_budget=0.05)


def play(scenario: Scenario, name: str) -> tuple[Run, Recorder]:
    recorder = Recorder(make(name, scenario.plant(), FAST))
    return Simulation(scenario, recorder).run(), recorder


@pytest.fixture(scope="module", params=NAMES)
def played(request: pytest.FixtureRequest, small: Scenario) -> tuple[Run, Recorder]:
    return play(small, request.param)


def test_every_order_is_completed_or_open_with_a_reason(played: tuple[Run, Recorder]) -> None:
    run, _ = played
    assert len(run.orders) == len(run.scenario.orders)
    for order_id, order in run.orders.items():
        assert order.completed_at is not None or run.open_reasons[order_id]
    assert all(o.completed_at is not None for o in run.orders.values()), run.open_reasons


def test_every_operation_runs_once_in_routing_order(played: tuple[Run, Recorder]) -> None:
    run, recorder = played
    started = Counter(e.op_id for e in recorder.events if isinstance(e, OperationStarted))
    completed = Counter(e.op_id for e in recorder.events if isinstance(e, OperationCompleted))
    routed = [op for order in run.orders.values() for op in order.routing]
    assert started == completed == Counter(routed)
    assert any(op.endswith("R") for op in routed), "the scenario should exercise rework"
    for order in run.orders.values():
        ops = [run.ops[o] for o in order.routing]
        for before, after in zip(ops, ops[1:], strict=False):
            assert before.completed_at is not None and after.started_at is not None
            assert before.completed_at <= after.started_at


def test_no_work_center_runs_two_jobs_or_runs_while_down(played: tuple[Run, Recorder]) -> None:
    run, _ = played
    for center in run.centers:
        jobs = sorted(
            (op.started_at or 0, op.completed_at or 0, op.id)
            for op in run.ops.values()
            if op.center == center and op.status == "done"
        )
        assert jobs and len(jobs) == sum(1 for op in run.ops.values() if op.center == center)
        for (_, end, _), (start, _, _) in zip(jobs, jobs[1:], strict=False):
            assert end <= start
        for b in run.scenario.breakdowns:
            if b.center == center:
                assert not any(b.at <= s < b.at + b.actual for s, _, _ in jobs)


def test_work_spent_is_the_drawn_duration_and_pauses_are_not_counted(
    played: tuple[Run, Recorder],
) -> None:
    run, _ = played
    for op in run.ops.values():
        assert op.started_at is not None and op.completed_at is not None
        assert op.busy == op.work
        assert op.completed_at - op.started_at >= op.busy


def test_material_balances_and_every_line_is_issued(played: tuple[Run, Recorder]) -> None:
    run, recorder = played
    promised = [
        e for e in recorder.events if isinstance(e, MaterialChanged) and e.available_at > e.at
    ]
    assert promised, "the scenario should exercise a shortage"
    assert run.stock.balanced()
    for order in run.orders.values():
        assert all(line.state == "consumed" for line in order.lines)
    for material, consumed in run.stock.consumed.items():
        need = sum(line.quantity for o in run.orders.values() for line in o.lines
                   if line.material_id == material)  # fmt: skip
        assert consumed == need


def test_same_seed_same_result(small: Scenario) -> None:
    for name in NAMES:
        a, b = kpis(play(small, name)[0]), kpis(play(small, name)[0])
        same = replace(b, cpu_ms_per_event=a.cpu_ms_per_event, cpu_ms_max=a.cpu_ms_max)
        assert a == same, name


def test_work_starts_only_on_shift() -> None:
    scenario = generate(replace(SMALL, shifts=True, days=2))
    run, _ = play(scenario, "live")
    calendar = Availability(scenario.calendar)
    assert run.ops and all(op.completed_at is not None for op in run.ops.values())
    for op in run.ops.values():
        assert op.started_at is not None and op.completed_at is not None
        assert calendar.next_working(op.started_at) == op.started_at
        assert calendar.working_minutes(op.started_at, op.completed_at) >= op.busy
