"""Receipts and cycle counts."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import Header, Response

from mes_events.auth import ADMIN, ORDERS_WRITE, requires
from mes_events.routing import service_router
from mes_inventory.application import handlers
from mes_inventory.domain.lot import ReceiveMaterial
from mes_inventory.entrypoints.api.deps import CorrelationDep, InventoryDep
from mes_inventory.entrypoints.api.schemas import Adjusted, AdjustmentIn, Receipt, ReceiptIn

router = service_router(tags=["stock"])


# Goods receipts come from the ERP integration; correcting counted stock is a manager's act.
@router.post(
    "/receipts",
    status_code=201,
    response_model=Receipt,
    responses={200: {"model": Receipt, "description": "A retry under the same Idempotency-Key"}},
)
@requires(ORDERS_WRITE)
async def receive(
    body: ReceiptIn,
    inv: InventoryDep,
    correlation: CorrelationDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Receipt:
    """A lot arrived (MaterialArrived); its stock is reserved for waiting shortages at once."""
    cmd = ReceiveMaterial(
        body.lot_id, body.material_id, body.quantity, body.supplier, body.received_at
    )
    receipt = handlers.Receipt(
        cmd,
        auto_register=body.auto_register,
        unit=body.unit,
        idempotency_key=idempotency_key,
        request_hash=hashlib.sha256(body.model_dump_json().encode()).hexdigest(),
    )
    result, replayed = await handlers.receive(inv, receipt, correlation)
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return Receipt(**result)


@router.post("/adjustments", response_model=Adjusted)
@requires(ADMIN)
async def adjust(body: AdjustmentIn, inv: InventoryDep, correlation: CorrelationDep) -> Adjusted:
    """A cycle count (StockAdjusted by the difference; 0 when the count matched)."""
    delta = await handlers.count_lot(
        inv, body.lot_id, body.material_id, body.counted_quantity, body.reason, correlation
    )
    return Adjusted(lot_id=body.lot_id, delta=delta)
