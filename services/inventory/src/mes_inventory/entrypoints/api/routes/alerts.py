"""Alerts a production manager acts on."""

from __future__ import annotations

from mes_events.routing import service_router
from mes_inventory.adapters import read_model
from mes_inventory.entrypoints.api.deps import ReaderDep
from mes_inventory.entrypoints.api.schemas import Alerts, ReorderAlert, ShortageAlert

router = service_router(tags=["alerts"])


@router.get("/alerts", response_model=Alerts)
async def alerts(conn: ReaderDep) -> Alerts:
    """Materials whose available stock is below their reorder point; shortages blocking orders."""
    return Alerts(
        below_reorder_point=[ReorderAlert(**r) for r in await read_model.below_reorder(conn)],
        shortages=[ShortageAlert(**r) for r in await read_model.shortages(conn)],
    )
