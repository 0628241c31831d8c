"""Planning-relevant events as values, and `apply` to replay them onto a plan."""

from __future__ import annotations

from dataclasses import dataclass

from mes_scheduler.planning import repair
from mes_scheduler.planning.model import Operation, Order
from mes_scheduler.planning.plan import Plan
from mes_scheduler.planning.result import RepairResult


@dataclass(frozen=True, slots=True)
class OrderAdded:
    """A new order to plan."""

    at: int
    order: Order


@dataclass(frozen=True, slots=True)
class OrderAmended:
    """Quantity, due date or priority changed (None: unchanged)."""

    at: int
    order_id: str
    quantity: int | None = None
    due: int | None = None
    weight: float | None = None


@dataclass(frozen=True, slots=True)
class OrderCancelled:
    """The order's open operations leave the plan."""

    at: int
    order_id: str


@dataclass(frozen=True, slots=True)
class MaterialChanged:
    """Material released or short: the operation can start from `available_at`."""

    at: int
    op_id: str
    available_at: int


@dataclass(frozen=True, slots=True)
class OperationStarted:
    """Actual start on a work center."""

    at: int
    op_id: str
    work_center: str


@dataclass(frozen=True, slots=True)
class OperationCompleted:
    """Actual end, at `at`."""

    at: int
    op_id: str


@dataclass(frozen=True, slots=True)
class WorkCenterDown:
    """Unplanned downtime from `at`, expected to last until `until`."""

    at: int
    work_center: str
    until: int


@dataclass(frozen=True, slots=True)
class WorkCenterUp:
    """The work center is back at `at`."""

    at: int
    work_center: str


@dataclass(frozen=True, slots=True)
class ReworkInserted:
    """A rework step after `after_op_id` in the order's routing."""

    at: int
    operation: Operation
    after_op_id: str | None


@dataclass(frozen=True, slots=True)
class ScrapMadeUp:
    """Extra quantity to make up for scrap."""

    at: int
    order_id: str
    extra_quantity: int


Event = (
    OrderAdded | OrderAmended | OrderCancelled | MaterialChanged | OperationStarted
    | OperationCompleted | WorkCenterDown | WorkCenterUp | ReworkInserted | ScrapMadeUp
)  # fmt: skip


def kind(event: Event) -> str:
    """Stable name of the event kind, for metrics."""
    return type(event).__name__


def apply(plan: Plan, event: Event) -> RepairResult:
    """Dispatch one event to its repair function."""
    match event:
        case OrderAdded(at, order):
            return repair.order_added(plan, order, at)
        case OrderAmended(at, order_id, quantity, due, weight):
            return repair.order_amended(
                plan, order_id, at, quantity=quantity, due=due, weight=weight
            )
        case OrderCancelled(at, order_id):
            return repair.order_cancelled(plan, order_id, at)
        case MaterialChanged(at, op_id, available_at):
            return repair.material_changed(plan, op_id, available_at, at)
        case OperationStarted(at, op_id, work_center):
            return repair.operation_started(plan, op_id, work_center, at, at)
        case OperationCompleted(at, op_id):
            return repair.operation_completed(plan, op_id, at, at)
        case WorkCenterDown(at, work_center, until):
            return repair.work_center_down(plan, work_center, at, until)
        case WorkCenterUp(at, work_center):
            return repair.work_center_up(plan, work_center, at)
        case ReworkInserted(at, operation, after_op_id):
            return repair.rework_inserted(plan, operation, after_op_id, at)
        case ScrapMadeUp(at, order_id, extra_quantity):
            return repair.scrap_make_up(plan, order_id, extra_quantity, at)
    raise TypeError(f"unknown event {event!r}")
