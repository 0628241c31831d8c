"""The quality service's FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from mes_events.service import ALL_ROLES, Role, ServiceRuntime, build_app
from mes_quality.application.context import Quality
from mes_quality.clock import Clock, system_clock
from mes_quality.config import Settings
from mes_quality.consumers.reactions import subscription
from mes_quality.domain.errors import InvalidInput
from mes_quality.entrypoints.api.routes import inspections, kpis, ncrs, spc

MIGRATIONS = Path(__file__).resolve().parents[4] / "migrations"


def create_app(
    roles: frozenset[Role] = ALL_ROLES,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> FastAPI:
    """The app with its runtime: API routes, relay to mes.quality, reactions to orders and
    scheduler events."""
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, MIGRATIONS, roles=roles)
    q = Quality(runtime.uow, runtime.store, clock)
    runtime.subscriptions = [subscription(q)]
    app = build_app(
        runtime, title="MES quality", routers=[r.router for r in (inspections, ncrs, spc, kpis)]
    )
    app.state.quality = q
    app.add_exception_handler(InvalidInput, _invalid_input)
    return app


async def _invalid_input(_: Request, exc: Exception) -> JSONResponse:
    loc = list(exc.loc) if isinstance(exc, InvalidInput) else []
    detail = [{"loc": ["body", *loc], "msg": str(exc), "type": "invalid_input"}]
    return JSONResponse(status_code=422, content={"detail": detail})
