"""Typed FastAPI dependencies: the write-side context and a read connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.service import ServiceRuntime
from mes_scheduler.application.context import Scheduler


async def _scheduler(request: Request) -> Scheduler:
    # async: FastAPI runs a plain `def` dependency in a worker thread, on every request.
    sch: Scheduler = request.app.state.scheduler
    return sch


async def _reader(request: Request) -> AsyncIterator[AsyncConnection]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.engine.connect() as conn:
        yield conn


async def _correlation(x_correlation_id: Annotated[UUID | None, Header()] = None) -> UUID | None:
    return x_correlation_id


SchedulerDep = Annotated[Scheduler, Depends(_scheduler)]
ReaderDep = Annotated[AsyncConnection, Depends(_reader)]
CorrelationDep = Annotated[UUID | None, Depends(_correlation)]
