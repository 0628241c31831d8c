"""Materials: register, list and show stock per lot."""

from __future__ import annotations

from fastapi import Response

from mes_events.auth import ADMIN, requires
from mes_events.errors import NotFound
from mes_events.routing import service_router
from mes_inventory.adapters import read_model
from mes_inventory.application import handlers
from mes_inventory.domain.material import RegisterMaterial
from mes_inventory.entrypoints.api.deps import CorrelationDep, InventoryDep, ReaderDep
from mes_inventory.entrypoints.api.schemas import LotStock, MaterialIn, MaterialStock

router = service_router(tags=["materials"])


@router.post(
    "/materials",
    status_code=201,
    response_model=MaterialStock,
    response_model_exclude_none=True,
    responses={200: {"model": MaterialStock, "description": "The same registration again"}},
)
@requires(ADMIN)  # master data
async def register_material(
    body: MaterialIn, inv: InventoryDep, correlation: CorrelationDep, response: Response
) -> MaterialStock:
    """Register a material (MaterialRegistered); the identical registration again is a 200."""
    cmd = RegisterMaterial(**body.model_dump())
    created = await handlers.register_material(inv, cmd, correlation)
    if not created:
        response.status_code = 200
    async with inv.uow.engine.connect() as conn:
        (row,) = await read_model.materials(conn, body.material_id)
    return MaterialStock(**row)


@router.get("/materials", response_model=list[MaterialStock], response_model_exclude_none=True)
async def list_materials(conn: ReaderDep) -> list[MaterialStock]:
    """Every material with on hand, reserved, quarantined and available stock."""
    return [MaterialStock(**row) for row in await read_model.materials(conn)]


@router.get("/materials/{material_id}", response_model=MaterialStock)
async def show_material(material_id: str, conn: ReaderDep) -> MaterialStock:
    """One material's stock, lot by lot (oldest receipt first)."""
    rows = await read_model.materials(conn, material_id)
    if not rows:
        raise NotFound(f"material {material_id} not found")
    lots = [LotStock(**lot) for lot in await read_model.lots_of(conn, material_id)]
    return MaterialStock(**rows[0], lots=lots)
