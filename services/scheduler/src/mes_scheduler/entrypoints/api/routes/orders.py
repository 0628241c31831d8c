"""Order projections: when the plan finishes an order, and what decides it."""

from __future__ import annotations

from typing import Any

from mes_events.errors import NotFound
from mes_events.routing import service_router
from mes_scheduler.adapters import queries
from mes_scheduler.entrypoints.api.deps import ReaderDep
from mes_scheduler.entrypoints.api.schemas import OrderProjectionOut

router = service_router(tags=["orders"])


@router.get("/orders/{order_id}/projection", response_model=OrderProjectionOut)
async def projection(order_id: str, conn: ReaderDep) -> Any:
    """Projected completion, lateness (minutes, positive when late) and critical operations."""
    found = await queries.projection(conn, order_id)
    if found is None:
        raise NotFound(f"order {order_id} is not known to the scheduler")
    return found
