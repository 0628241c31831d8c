"""Line-terminal commands: start and complete a job, each under an Idempotency-Key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.errors import NotFound
from mes_events.store import retry_on_conflict
from mes_scheduler.adapters import idempotency, queries
from mes_scheduler.application import streams
from mes_scheduler.application.context import Scheduler
from mes_scheduler.domain import job as rules

_LOCK_CENTER = text("SELECT pg_advisory_xact_lock(hashtextextended('wc:' || :wc, 0))")


@dataclass(frozen=True)
class Request:
    """A terminal's post: which job, the key it was sent under, and a hash of its body."""

    job_id: str
    idempotency_key: str
    request_hash: str
    correlation_id: UUID | None = None


# Raises unless the caller may act on that work center (a terminal only on its own).
CenterCheck = Callable[[str], None]


async def start(
    sch: Scheduler,
    req: Request,
    cmd: rules.StartJob,
    work_center_id: str | None,
    *,
    check_center: CenterCheck,
) -> tuple[Any, bool]:
    """Start a job; returns the job and whether this answer is a replay of the first one."""

    async def attempt() -> tuple[Any, bool]:
        async with sch.uow.transaction() as conn:
            facts = rules.require(await queries.job_facts(conn, req.job_id), req.job_id)
            center_id = work_center_id or facts.planned_center or ""
            check_center(center_id)  # before the replay: no terminal reads another's answers
            seen = await idempotency.first_answer(conn, req.idempotency_key, req.request_hash)
            if seen is not None:
                return seen, True
            # One start per center at a time: the "is something running there" check and the
            # start it allows must not interleave with another start on that center.
            await conn.execute(_LOCK_CENTER, {"wc": center_id})
            center = await queries.center_facts(conn, center_id)
            if center is None:
                raise NotFound(f"work center {center_id} not found")
            stream_id = rules.stream_id(req.job_id)
            history, version = await streams.load(conn, sch.store, stream_id)
            events = rules.start(rules.fold(history), facts, center, cmd)
            await streams.emit(conn, sch.store, stream_id, version, events, _meta(sch, req))
            return await _answer(conn, req), False

    return await retry_on_conflict(attempt)


async def complete(
    sch: Scheduler, req: Request, cmd: rules.CompleteJob, *, check_center: CenterCheck
) -> tuple[Any, bool]:
    """Complete a started job; a retry under the same key counts nothing twice."""

    async def attempt() -> tuple[Any, bool]:
        async with sch.uow.transaction() as conn:
            facts = rules.require(await queries.job_facts(conn, req.job_id), req.job_id)
            stream_id = rules.stream_id(req.job_id)
            history, version = await streams.load(conn, sch.store, stream_id)
            job = rules.fold(history)
            started_on = job.started.work_center_id if job.started is not None else None
            check_center(started_on or facts.planned_center or "")
            seen = await idempotency.first_answer(conn, req.idempotency_key, req.request_hash)
            if seen is not None:
                return seen, True
            efficiency = await _efficiency(conn, job)
            events = rules.complete(job, facts, efficiency, cmd)
            await streams.emit(conn, sch.store, stream_id, version, events, _meta(sch, req))
            return await _answer(conn, req), False

    return await retry_on_conflict(attempt)


def _meta(sch: Scheduler, req: Request) -> Any:
    return sch.meta(req.correlation_id)


async def _efficiency(conn: AsyncConnection, job: rules.Job) -> Any:
    if job.started is None:
        return 1
    center = await queries.center_facts(conn, job.started.work_center_id)
    return center.efficiency if center is not None else 1


async def _answer(conn: AsyncConnection, req: Request) -> Any:
    """The job row as the response, stored under the key (JSON: as a replay returns it)."""
    row = await queries.job(conn, req.job_id)
    assert row is not None
    answer = orjson.loads(orjson.dumps(row, default=str))
    await idempotency.remember(conn, req.idempotency_key, req.request_hash, answer)
    return answer
