"""The generated world: reproducible, consistent, with enough material in the end."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from mes_simulator.catalog import Characteristic
from mes_simulator.outcomes import measurements, outcome, wear
from mes_simulator.scenario import Scenario, generate
from mes_simulator.testing import SMALL


def test_same_seed_same_world_other_seed_another() -> None:
    assert generate(SMALL) == generate(SMALL)
    assert generate(replace(SMALL, seed=8)).orders != generate(SMALL).orders


def test_orders_are_due_after_arrival_with_increasing_routing_steps(small: Scenario) -> None:
    assert len(small.orders) >= 10
    for o in small.orders:
        assert o.arrival < o.due
        assert 1 <= o.priority <= 5
        seqs = [s.seq for s in o.product.steps]
        assert seqs == sorted(set(seqs))
        assert {line.seq for line in o.product.bom} <= set(seqs)


def test_receipts_cover_the_demand(small: Scenario) -> None:
    demand: dict[str, Decimal] = {}
    for o in small.orders:
        for line in o.product.bom:
            demand[line.material_id] = demand.get(line.material_id, Decimal(0)) + (
                line.per_unit * o.quantity
            )
    for material, need in demand.items():
        supply = sum(r.quantity for r in small.receipts if r.material_id == material)
        assert supply >= need * Decimal(str(SMALL.supply_ratio))
        assert any(r.at == 0 for r in small.receipts if r.material_id == material)


def test_breakdowns_of_a_center_do_not_overlap(small: Scenario) -> None:
    assert small.breakdowns
    for c in small.centers:
        mine = [b for b in small.breakdowns if b.center == c.id]
        for a, b in zip(mine, mine[1:], strict=False):
            assert a.at + a.actual <= b.at


def test_outcomes_depend_on_the_operation_alone() -> None:
    first = outcome(SMALL, "SO00001.10", 20, inspected=True)
    assert outcome(SMALL, "SO00001.10", 20, inspected=True) == first
    assert outcome(SMALL, "SO00001.20", 20, inspected=True) != first
    settings = replace(SMALL, inspection_fail_rate=0.08)
    fails = sum(
        outcome(settings, f"X.{k}", 10, inspected=True).inspection_failed for k in range(400)
    )
    assert 0.03 < fails / 400 < 0.15
    assert not outcome(settings, "X.1", 10, inspected=False).inspection_failed


def test_measurements_in_spec_unless_failed(small: Scenario) -> None:
    step = next(s for o in small.orders for s in o.product.steps if s.inspection)
    (c,) = step.inspection
    good = measurements(SMALL, "A.1", step.inspection, 3, failed=False)
    assert len(good) == 3 and all(c.lower <= v <= c.upper for _, _, v in good)
    bad = measurements(SMALL, "A.1", step.inspection, 3, failed=True)
    assert sum(1 for _, _, v in bad if not c.lower <= v <= c.upper) == 1


def test_tool_wear_drifts_the_measured_mean_over_a_shift_then_resets() -> None:
    shift = [wear(SMALL, "CNC-1", m) for m in range(0, 480, 10)]
    assert all(-0.3 <= w < 0.6 for w in shift)
    assert sum(1 for a, b in zip(shift, shift[1:], strict=False) if b < a) == 1  # one change
    assert wear(SMALL, "CNC-1", 100) != wear(SMALL, "CNC-2", 100)
    spec = (Characteristic("bore", Decimal("12.00"), Decimal("11.90"), Decimal("12.10"), "mm"),)
    worn = measurements(SMALL, "A.1", spec, 10, failed=False, drift=0.6)
    fresh = measurements(SMALL, "A.1", spec, 10, failed=False, drift=-0.3)
    mean_worn = sum((v for _, _, v in worn), Decimal(0)) / 10
    mean_fresh = sum((v for _, _, v in fresh), Decimal(0)) / 10
    assert mean_worn > mean_fresh + Decimal("0.05")
