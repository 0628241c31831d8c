"""The inventory service's FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mes_events.service import ALL_ROLES, Role, ServiceRuntime, build_app
from mes_inventory.application.context import Inventory
from mes_inventory.clock import Clock, system_clock
from mes_inventory.config import Settings
from mes_inventory.consumers.reactions import subscription
from mes_inventory.domain.errors import InvalidReference
from mes_inventory.entrypoints.api.routes import alerts, lots, materials, orders, receipts

MIGRATIONS = Path(__file__).resolve().parents[4] / "migrations"


def create_app(
    roles: frozenset[Role] = ALL_ROLES,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> FastAPI:
    """The app with its runtime: API routes, relay to mes.inventory, reactions to other topics."""
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, MIGRATIONS, roles=roles)
    inv = Inventory(runtime.uow, runtime.store, clock)
    runtime.subscriptions = [subscription(inv)]
    app = build_app(
        runtime,
        title="MES inventory",
        routers=[r.router for r in (materials, receipts, lots, orders, alerts)],
    )
    app.state.inventory = inv
    app.add_exception_handler(InvalidReference, _invalid_reference)
    return app


async def _invalid_reference(_: Request, exc: Exception) -> JSONResponse:
    field = exc.field if isinstance(exc, InvalidReference) else "body"
    detail = [{"loc": ["body", field], "msg": str(exc), "type": "invalid_reference"}]
    return JSONResponse(status_code=422, content={"detail": detail})
