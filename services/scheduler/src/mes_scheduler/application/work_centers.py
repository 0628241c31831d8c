"""REST commands on work centers: register, redefine, down, up."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from mes_events.catalog.scheduler import WorkCenterRedefined, WorkCenterRegistered
from mes_events.store import retry_on_conflict
from mes_scheduler.application import streams
from mes_scheduler.application.context import Scheduler
from mes_scheduler.domain import work_center as rules


async def register(
    sch: Scheduler, event: WorkCenterRegistered, correlation_id: UUID | None = None
) -> bool:
    """Register a work center; False when the identical registration was already there."""
    stream_id = rules.stream_id(event.work_center_id)

    async def attempt() -> bool:
        async with sch.uow.transaction() as conn:
            history, version = await streams.load(conn, sch.store, stream_id)
            events = rules.register(rules.fold(history), event)
            await streams.emit(
                conn, sch.store, stream_id, version, events, sch.meta(correlation_id)
            )
            return bool(events)

    return await retry_on_conflict(attempt)


async def redefine(
    sch: Scheduler,
    event: WorkCenterRedefined,
    if_match: int | None = None,
    correlation_id: UUID | None = None,
) -> bool:
    """Replace a center's definition; False when it already was this one."""
    stream_id = rules.stream_id(event.work_center_id)

    async def attempt() -> bool:
        async with sch.uow.transaction() as conn:
            history, version = await streams.load(conn, sch.store, stream_id)
            events = rules.redefine(rules.fold(history), event, if_match)
            await streams.emit(
                conn, sch.store, stream_id, version, events, sch.meta(correlation_id)
            )
            return bool(events)

    return await retry_on_conflict(attempt)


async def go_down(
    sch: Scheduler,
    work_center_id: str,
    reason: str,
    expected_minutes: int | None,
    correlation_id: UUID | None = None,
) -> None:
    """Report the center down (WorkCenterDown) for an expected duration."""
    stream_id = rules.stream_id(work_center_id)
    minutes = expected_minutes or sch.settings.default_down_minutes

    async def attempt() -> None:
        async with sch.uow.transaction() as conn:
            history, version = await streams.load(conn, sch.store, stream_id)
            meta = sch.meta(correlation_id)
            until = meta.occurred_at + timedelta(minutes=minutes)
            events = rules.go_down(
                rules.fold(history), work_center_id, reason, meta.occurred_at, until
            )
            await streams.emit(conn, sch.store, stream_id, version, events, meta)

    await retry_on_conflict(attempt)


async def come_up(sch: Scheduler, work_center_id: str, correlation_id: UUID | None = None) -> None:
    """Report the center back in service (WorkCenterUp)."""
    stream_id = rules.stream_id(work_center_id)

    async def attempt() -> None:
        async with sch.uow.transaction() as conn:
            history, version = await streams.load(conn, sch.store, stream_id)
            meta = sch.meta(correlation_id)
            events = rules.come_up(rules.fold(history), work_center_id, meta.occurred_at)
            await streams.emit(conn, sch.store, stream_id, version, events, meta)

    await retry_on_conflict(attempt)
