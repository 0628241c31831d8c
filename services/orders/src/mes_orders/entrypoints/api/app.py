"""The orders service's FastAPI application."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from mes_events.service import ALL_ROLES, Role, ServiceRuntime, build_app
from mes_orders.application.intake import Intake
from mes_orders.clock import Clock, system_clock
from mes_orders.config import Settings
from mes_orders.consumers.progress import subscription
from mes_orders.entrypoints.api.context import OrdersContext
from mes_orders.entrypoints.api.routes.orders import router

MIGRATIONS = Path(__file__).resolve().parents[4] / "migrations"


def create_app(
    roles: frozenset[Role] = ALL_ROLES,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> FastAPI:
    """Wire the runtime (store, relay, consumer), the intake and the routes."""
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, MIGRATIONS, roles=roles)
    runtime.subscriptions = [subscription(runtime.store)]
    app = build_app(
        runtime, title="MES orders", routers=[router], max_body_bytes=settings.max_body_bytes
    )
    intake = Intake(
        runtime.uow,
        runtime.store,
        max_batch=settings.intake_batch_size,
        max_committers=settings.intake_committers,
        gather_s=settings.intake_gather_ms / 1000,
        gather_target=settings.intake_gather_creates,
    )
    app.state.orders = OrdersContext(runtime, intake, clock)
    return app
