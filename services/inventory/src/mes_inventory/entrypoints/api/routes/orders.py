"""Orders as inventory sees them: material status and backward traceability."""

from __future__ import annotations

from mes_events.errors import NotFound
from mes_events.routing import service_router
from mes_inventory.adapters import read_model
from mes_inventory.entrypoints.api.deps import ReaderDep
from mes_inventory.entrypoints.api.schemas import (
    OrderGenealogy,
    OrderLot,
    OrderMaterial,
    OrderMaterials,
)

router = service_router(tags=["orders"])


@router.get("/orders/{order_id}/materials", response_model=OrderMaterials)
async def order_materials(order_id: str, conn: ReaderDep) -> OrderMaterials:
    """Each required material: required, reserved, consumed, short, and the lots reserved."""
    demand = await read_model.demand(conn, order_id)
    if demand is None:
        raise NotFound(f"order {order_id} not known to inventory")
    rows = await read_model.order_materials(conn, order_id)
    return OrderMaterials(
        order_id=order_id,
        status=demand["status"],
        quantity=demand["quantity"],
        materials=[OrderMaterial(**r) for r in rows],
    )


@router.get("/orders/{order_id}/genealogy", response_model=OrderGenealogy)
async def order_genealogy(order_id: str, conn: ReaderDep) -> OrderGenealogy:
    """Every lot consumed into the order, by operation and job."""
    lots = await read_model.order_lots(conn, order_id)
    if not lots and await read_model.demand(conn, order_id) is None:
        raise NotFound(f"order {order_id} not known to inventory")
    return OrderGenealogy(order_id=order_id, lots=[OrderLot(**r) for r in lots])
