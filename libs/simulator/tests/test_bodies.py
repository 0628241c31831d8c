"""The bodies the simulator posts are valid for the services' own request models."""

from __future__ import annotations

from datetime import UTC, datetime

from mes_inventory.entrypoints.api.schemas import MaterialIn, ReceiptIn
from mes_orders.entrypoints.api.schemas import OrderIn
from mes_scheduler.entrypoints.api.schemas import WorkCenterIn
from mes_scheduler.planning.scenarios import two_shift_calendar
from mes_simulator.rest import bodies
from mes_simulator.scenario import Scenario

AT = datetime(2026, 11, 23, 6, tzinfo=UTC)


def test_orders_accepts_every_order_of_the_scenario(small: Scenario) -> None:
    for order in small.orders:
        parsed = OrderIn.model_validate(bodies.order_body(order, "R1", AT))
        assert parsed.external_ref == f"{order.external_ref}-R1"
        assert [op.seq for op in parsed.routing] == [s.seq for s in order.product.steps]
        assert {m.material_id for m in parsed.materials} == {
            b.material_id for b in order.product.bom
        }


def test_inventory_accepts_materials_and_receipts(small: Scenario) -> None:
    assert {MaterialIn.model_validate(m).material_id for m in bodies.material_bodies()} >= {
        r.material_id for r in small.receipts
    }
    for receipt in small.receipts:
        parsed = ReceiptIn.model_validate(bodies.receipt_body(receipt, "R1", AT))
        assert parsed.quantity == receipt.quantity and parsed.received_at == AT


def test_scheduler_accepts_work_centers_with_and_without_shifts(small: Scenario) -> None:
    for center in small.centers:
        always = WorkCenterIn.model_validate(bodies.work_center_body(center, small.calendar))
        assert always.calendar is None and always.group == center.group
        shifts = WorkCenterIn.model_validate(bodies.work_center_body(center, two_shift_calendar()))
        assert shifts.calendar is not None and len(shifts.calendar.weekly) == 10
        assert str(shifts.calendar.weekly[1].start) == "14:30:00"
