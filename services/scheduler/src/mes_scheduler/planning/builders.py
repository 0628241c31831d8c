"""Terse constructors for hand-written plans in tests, examples and notebooks."""

from __future__ import annotations

from mes_scheduler.planning.model import Operation, Order


def op(
    op_id: str, group: str, per_unit: float, *, setup: int = 0, interruptible: bool = True
) -> Operation:
    """An operation whose order id is the part of `op_id` before the dot."""
    return Operation(
        op_id, op_id.split(".")[0], group, per_unit, setup, interruptible=interruptible
    )


def order(
    order_id: str, due: int, *steps: tuple[str, float], weight: float = 1.0, quantity: int = 10
) -> Order:
    """An order with one operation per (group, per_unit) step, ids `<order>.<k>`."""
    ops = tuple(op(f"{order_id}.{k}", g, pu) for k, (g, pu) in enumerate(steps))
    return Order(order_id, quantity, due, weight, ops)
