"""The scheduler service's FastAPI app."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from mes_events.service import ALL_ROLES, Role, ServiceRuntime, build_app
from mes_scheduler.application.context import Scheduler
from mes_scheduler.clock import Clock, system_clock
from mes_scheduler.config import Settings
from mes_scheduler.entrypoints.api.routes import work_centers

MIGRATIONS = Path(__file__).resolve().parents[4] / "migrations"


def create_app(
    roles: frozenset[Role] = ALL_ROLES,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> FastAPI:
    """The app with its runtime: API routes, relay to mes.scheduler, the planner's consumer."""
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, MIGRATIONS, roles=roles)
    sch = Scheduler(runtime.uow, runtime.store, clock, settings)
    app = build_app(runtime, title="MES scheduler", routers=[work_centers.router])
    app.state.scheduler = sch
    return app
