"""The scheduler service's FastAPI app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from mes_events.service import ALL_ROLES, Role, ServiceRuntime, build_app
from mes_events.store import EventStore
from mes_scheduler.adapters.uow import HookedUnitOfWork
from mes_scheduler.application import improver
from mes_scheduler.application.context import Scheduler
from mes_scheduler.application.planner import Planner
from mes_scheduler.clock import Clock, system_clock
from mes_scheduler.config import Settings
from mes_scheduler.consumers.plan import subscription
from mes_scheduler.entrypoints.api.routes import jobs, kpis, orders, schedule, work_centers

MIGRATIONS = Path(__file__).resolve().parents[4] / "migrations"


def create_app(
    roles: frozenset[Role] = ALL_ROLES,
    *,
    settings: Settings | None = None,
    clock: Clock = system_clock,
) -> FastAPI:
    """The app with its runtime: API routes, relay to mes.scheduler, the planner's consumer.

    The consumer role owns the plan (one such process per plant); with it comes the improver.
    """
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, MIGRATIONS, roles=roles)
    runtime.uow = HookedUnitOfWork(runtime.engine)
    runtime.store = EventStore(settings.event_source)
    sch = Scheduler(runtime.uow, runtime.store, clock, settings)
    planner = Planner(sch)
    runtime.subscriptions = [subscription(planner)]
    routers = [r.router for r in (work_centers, schedule, orders, jobs, kpis)]
    app = build_app(runtime, title="MES scheduler", routers=routers)
    app.state.scheduler = sch
    app.state.planner = planner
    if Role.CONSUMER in roles and settings.improver_enabled:
        _with_improver(app, planner)
    return app


def _with_improver(app: FastAPI, planner: Planner) -> None:
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: FastAPI) -> AsyncIterator[None]:
        async with inner(a):
            stop = asyncio.Event()
            task = asyncio.create_task(improver.run(planner, stop))
            try:
                yield
            finally:
                stop.set()
                await asyncio.wait([task], timeout=30)

    app.router.lifespan_context = lifespan
