"""Line terminals: start and complete jobs (Idempotency-Key required), and look one up."""

from __future__ import annotations

import hashlib
from functools import partial
from typing import Annotated, Any

from fastapi import Header, Response
from pydantic import BaseModel

from mes_events.auth import (
    ANY_TERMINAL,
    CurrentPrincipal,
    ensure_terminal_scope,
    requires,
)
from mes_events.errors import NotFound
from mes_events.routing import service_router
from mes_scheduler.adapters import queries
from mes_scheduler.application import jobs as handlers
from mes_scheduler.domain import job as rules
from mes_scheduler.entrypoints.api.deps import CorrelationDep, ReaderDep, SchedulerDep
from mes_scheduler.entrypoints.api.schemas import CompleteIn, JobOut, StartIn

# Starts and completions come from a line terminal (or a manager, `admin`); the handlers check
# the job's own work center.
router = service_router(prefix="/jobs", tags=["jobs"])

IdempotencyKey = Annotated[str, Header(min_length=1, max_length=200)]


def _request(
    action: str, job_id: str, body: BaseModel, key: str, correlation: Any
) -> handlers.Request:
    digest = hashlib.sha256(f"{action}:{job_id}:{body.model_dump_json()}".encode()).hexdigest()
    return handlers.Request(job_id, key, digest, correlation)


def _replayed(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


@router.post("/{job_id}/start", response_model=JobOut)
@requires(ANY_TERMINAL)
async def start(
    job_id: str,
    body: StartIn,
    sch: SchedulerDep,
    correlation: CorrelationDep,
    response: Response,
    idempotency_key: IdempotencyKey,
    terminal: CurrentPrincipal,
) -> Any:
    """Start a job (JobStarted). 409 with the reason when its predecessor is not done or its
    material is short (a manager's `override` forces it, and is recorded), or when the job or
    the work center cannot take it. 403 for the terminal of another work center."""
    req = _request("start", job_id, body, idempotency_key, correlation)
    cmd = rules.StartJob(body.operator, sch.clock(), body.terminal,
                         body.override_by if body.override else None)  # fmt: skip
    check = partial(ensure_terminal_scope, terminal)
    answer, replayed = await handlers.start(sch, req, cmd, body.work_center_id, check_center=check)
    _replayed(response, replayed)
    return answer


@router.post("/{job_id}/complete", response_model=JobOut)
@requires(ANY_TERMINAL)
async def complete(
    job_id: str,
    body: CompleteIn,
    sch: SchedulerDep,
    correlation: CorrelationDep,
    response: Response,
    idempotency_key: IdempotencyKey,
    terminal: CurrentPrincipal,
) -> Any:
    """Complete a started job (JobCompleted); 409 if never started, already completed, or
    more good pieces than ordered. 403 for the terminal of another work center."""
    req = _request("complete", job_id, body, idempotency_key, correlation)
    cmd = rules.CompleteJob(body.operator, sch.clock(), body.good_quantity,
                            body.scrap_quantity, body.actual_minutes)  # fmt: skip
    check = partial(ensure_terminal_scope, terminal)
    answer, replayed = await handlers.complete(sch, req, cmd, check_center=check)
    _replayed(response, replayed)
    return answer


@router.get("/{job_id}", response_model=JobOut)
async def show(job_id: str, conn: ReaderDep) -> Any:
    found = await queries.job(conn, job_id)
    if found is None:
        raise NotFound(f"job {job_id} was never started")
    return found
