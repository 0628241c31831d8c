"""Lots: quarantine, release, and forward traceability."""

from __future__ import annotations

from fastapi import Response

from mes_events.auth import QUALITY_WRITE, requires
from mes_events.errors import NotFound
from mes_events.routing import service_router
from mes_inventory.adapters import read_model
from mes_inventory.application import handlers
from mes_inventory.entrypoints.api.deps import CorrelationDep, InventoryDep, ReaderDep
from mes_inventory.entrypoints.api.schemas import HoldIn, LotGenealogy, LotStock

# Inspectors hold and release lots (a nonconformance puts a lot on hold).
router = service_router(tags=["lots"])


async def _lot_stock(inv: InventoryDep, lot_id: str) -> LotStock:
    async with inv.uow.engine.connect() as conn:
        lot = await read_model.lot(conn, lot_id)
        assert lot is not None
        rows = await read_model.lots_of(conn, lot["material_id"])
    return next(LotStock(**r) for r in rows if r["lot_id"] == lot_id)


@router.post("/lots/{lot_id}/quarantine", response_model=LotStock)
@requires(QUALITY_WRITE)
async def quarantine(
    lot_id: str, body: HoldIn, inv: InventoryDep, correlation: CorrelationDep
) -> LotStock:
    """Hold a lot (LotQuarantined); its reservations move to other lots or become shortages."""
    await handlers.hold_lot(
        inv, lot_id, body.reason, held=True, ncr_id=body.ncr_id, correlation_id=correlation
    )
    return await _lot_stock(inv, lot_id)


@router.post("/lots/{lot_id}/release", response_model=LotStock)
@requires(QUALITY_WRITE)
async def release(
    lot_id: str, body: HoldIn, inv: InventoryDep, correlation: CorrelationDep
) -> LotStock:
    """Release a held lot (LotReleased); its stock goes to waiting shortages."""
    await handlers.hold_lot(inv, lot_id, body.reason, held=False, correlation_id=correlation)
    return await _lot_stock(inv, lot_id)


@router.get(
    "/lots/{lot_id}/genealogy", response_class=Response, responses={200: {"model": LotGenealogy}}
)
async def lot_genealogy(lot_id: str, conn: ReaderDep) -> Response:
    """Every order, operation and job the lot was consumed into."""
    document = await read_model.lot_genealogy_json(conn, lot_id)
    if document is None:
        raise NotFound(f"lot {lot_id} not found")
    return Response(document, media_type="application/json")
