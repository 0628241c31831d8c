"""Hand-made one-machine shops where every number can be worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mes_scheduler.planning.events import MaterialChanged, WorkCenterDown
from mes_simulator.catalog import BomLine, CenterSpec, Product, Step
from mes_simulator.metrics import kpis
from mes_simulator.policies import NAMES, PolicySettings, make
from mes_simulator.scenario import Breakdown, OrderSpec, Receipt, Scenario, ScenarioSettings
from mes_simulator.simulation import Simulation
from mes_simulator.testing import Recorder

EXACT = ScenarioSettings(
    frozen_horizon=0, duration_noise=0.0, scrap_rate=0.0, inspection_fail_rate=0.0
)
PRODUCT = Product("P", "A", (Step(10, "mill", "C", 10, 1.0),), (BomLine("M", Decimal(1), 10),))


def shop(
    *orders: OrderSpec, receipts: tuple[Receipt, ...] = (), breakdowns: tuple[Breakdown, ...] = ()
) -> Scenario:
    stock = receipts or (Receipt(0, "M", "L1", Decimal(100)),)
    return Scenario(EXACT, (CenterSpec("C-1", "C", 1.0),), (PRODUCT,), orders, stock, breakdowns)


def order(order_id: str, quantity: int, due: int, priority: int, arrival: int = 0) -> OrderSpec:
    return OrderSpec(order_id, f"ERP-{order_id}", "ACME", PRODUCT, quantity, arrival, due, priority)


# A (10 pieces: 20 min) arrives first but is due late; B (20 pieces: 30 min) is urgent.
TWO = shop(order("A", 10, 100, 3), order("B", 20, 40, 1))


def test_greedy_plans_in_arrival_order_and_makes_the_urgent_order_late() -> None:
    k = kpis(Simulation(TWO, make("greedy", TWO.plant())).run())
    # A 0-20, B 20-50: B is 10 minutes late with weight 6 - 1 = 5.
    assert (k.completed, k.on_time) == (2, 0.5)
    assert k.max_lateness_h == pytest.approx(10 / 60)
    assert k.weighted_tardiness_h == pytest.approx(5 * 10 / 60)
    assert k.end_h == pytest.approx(50 / 60)
    # Ideal 30 run minutes for all good pieces over 50 planned minutes; setups cost the rest.
    assert k.oee == pytest.approx(0.6)
    assert (k.availability, k.quality) == (1.0, 1.0)


@pytest.mark.parametrize("name", ["edd", "live", "resolve"])
def test_due_date_aware_policies_run_the_urgent_order_first(name: str) -> None:
    settings = PolicySettings(improve_budget=0.05, resolve_budget=0.05)
    run = Simulation(TWO, make(name, TWO.plant(), settings)).run()
    assert (run.ops["B.10"].started_at, run.ops["A.10"].started_at) == (0, 30)
    assert kpis(run).on_time == 1.0


def test_a_breakdown_pauses_the_job_and_the_policy_hears_the_estimate() -> None:
    scenario = shop(order("A", 20, 1000, 3), breakdowns=(Breakdown(10, "C-1", 15, 20),))
    recorder = Recorder(make("live", scenario.plant()))
    run = Simulation(scenario, recorder).run()
    op = run.ops["A.10"]
    assert (op.started_at, op.completed_at, op.busy) == (0, 45, 30)
    assert run.centers["C-1"].down_minutes == 15
    down = [(e.at, e.until) for e in recorder.events if isinstance(e, WorkCenterDown)]
    assert down == [(10, 30)]


def test_a_short_order_waits_for_the_receipt_it_was_promised() -> None:
    late = (Receipt(0, "M", "L1", Decimal(5)), Receipt(100, "M", "L2", Decimal(50)))
    scenario = shop(order("A", 10, 1000, 3), receipts=late)
    recorder = Recorder(make("edd", scenario.plant()))
    run = Simulation(scenario, recorder).run()
    assert run.ops["A.10"].started_at == 100
    news = [(e.at, e.available_at) for e in recorder.events if isinstance(e, MaterialChanged)]
    assert news == [(0, 100), (100, 100)]
    assert run.stock.consumed["M"] == 10 and run.stock.free["M"] == 45


@pytest.mark.parametrize("name", NAMES)
def test_an_order_that_never_gets_material_stays_open_with_the_reason(name: str) -> None:
    scenario = shop(order("A", 10, 1000, 3), receipts=(Receipt(0, "M", "L1", Decimal(5)),))
    run = Simulation(scenario, make(name, scenario.plant()), limit=5000).run()
    assert run.open_reasons == {"A": "operation A.10 waits for material M"}
    assert kpis(run).completed == 0


def test_head_changes_count_only_jobs_still_waiting() -> None:
    # C arrives while A runs and is due first: EDD shows C instead of B, which still waits.
    scenario = shop(
        order("A", 10, 1000, 3), order("B", 10, 900, 3), order("C", 10, 100, 3, arrival=5)
    )
    run = Simulation(scenario, make("edd", scenario.plant())).run()
    assert run.head_changes == kpis(run).plan_changes == 1
