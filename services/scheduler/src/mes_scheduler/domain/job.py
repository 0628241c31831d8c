"""A job (one operation run on a work center): start and complete, as pure decisions.

The checks look at facts the read models hold (`JobFacts`); the decisions return events or
raise DomainError (HTTP 409) with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from mes_events.catalog.scheduler import JobCompleted, JobStarted
from mes_events.errors import DomainError, NotFound
from mes_events.registry import DomainEvent


def stream_id(job_id: str) -> str:
    return f"job-{job_id}"


@dataclass(frozen=True)
class Job:
    started: JobStarted | None = None
    completed: JobCompleted | None = None
    version: int = 0


def fold(events: Iterable[DomainEvent]) -> Job:
    job = Job()
    for e in events:
        if isinstance(e, JobStarted):
            job = replace(job, started=e)
        elif isinstance(e, JobCompleted):
            job = replace(job, completed=e)
        job = replace(job, version=job.version + 1)
    return job


@dataclass(frozen=True)
class JobFacts:
    """What the plan and the floor say about a job's operation at the moment of the command."""

    job_id: str
    order_id: str
    seq: int
    status: str
    group: str
    quantity: int
    planned_center: str | None
    planned_start_at: datetime | None
    setup_minutes: Decimal
    run_minutes_per_unit: Decimal
    predecessor_seq: int | None = None
    predecessor_done: bool = True
    material_short: bool = False


@dataclass(frozen=True)
class Center:
    """The work center a job is started on: its group, whether it is down, what runs there."""

    work_center_id: str
    group: str
    efficiency: Decimal
    down: bool
    running: str | None


@dataclass(frozen=True)
class StartJob:
    operator: str
    at: datetime
    terminal: str | None = None
    override_by: str | None = None


@dataclass(frozen=True)
class CompleteJob:
    operator: str
    at: datetime
    good_quantity: int
    scrap_quantity: int
    actual_minutes: Decimal | None = None


def start(job: Job, facts: JobFacts, center: Center, cmd: StartJob) -> list[DomainEvent]:
    """Start the job; blocked by a running or finished job, a busy or down center, and (unless a
    manager overrides) by an unfinished predecessor or short material."""
    if job.started is not None:
        raise DomainError(f"job {facts.job_id} was already started at {job.started.started_at}")
    if facts.status not in ("planned", "started"):
        raise DomainError(f"job {facts.job_id} is {facts.status}, not planned")
    if center.group != facts.group:
        raise DomainError(f"work center {center.work_center_id} is not of group {facts.group}")
    if center.down:
        raise DomainError(f"work center {center.work_center_id} is down")
    if center.running is not None:
        raise DomainError(f"work center {center.work_center_id} is running job {center.running}")
    reasons = blockers(facts)
    if reasons and cmd.override_by is None:
        raise DomainError("; ".join(reasons))
    return [
        JobStarted(
            job_id=facts.job_id, order_id=facts.order_id, operation_seq=facts.seq,
            work_center_id=center.work_center_id, operator=cmd.operator, started_at=cmd.at,
            terminal=cmd.terminal, override_by=cmd.override_by if reasons else None,
            overridden=tuple(reasons), planned_start_at=facts.planned_start_at,
        )
    ]  # fmt: skip


def blockers(facts: JobFacts) -> list[str]:
    """The checks a manager may override."""
    reasons = []
    if not facts.predecessor_done:
        reasons.append(f"predecessor operation {facts.predecessor_seq} is not done")
    if facts.material_short:
        reasons.append("material is short")
    return reasons


def complete(job: Job, facts: JobFacts, efficiency: Decimal, cmd: CompleteJob) -> list[DomainEvent]:
    """Complete a started job with the pieces made; never more good pieces than ordered."""
    if job.started is None:
        raise DomainError(f"job {facts.job_id} was never started")
    if job.completed is not None:
        raise DomainError(
            f"job {facts.job_id} was already completed at {job.completed.completed_at}"
        )
    if cmd.good_quantity > facts.quantity:
        raise DomainError(
            f"completing more than was ordered: {cmd.good_quantity} good > {facts.quantity}"
        )
    actual = cmd.actual_minutes
    if actual is None:
        elapsed = max((cmd.at - job.started.started_at).total_seconds(), 0)
        actual = (Decimal(int(elapsed)) / 60).quantize(Decimal("0.01"))
    pieces = cmd.good_quantity + cmd.scrap_quantity
    standard = facts.setup_minutes + facts.run_minutes_per_unit * pieces / efficiency
    return [
        JobCompleted(
            job_id=facts.job_id, order_id=facts.order_id, operation_seq=facts.seq,
            work_center_id=job.started.work_center_id, good_quantity=cmd.good_quantity,
            scrap_quantity=cmd.scrap_quantity, actual_minutes=actual, operator=cmd.operator,
            completed_at=cmd.at, standard_minutes=standard.quantize(Decimal("0.01")),
        )
    ]  # fmt: skip


def require(facts: JobFacts | None, job_id: str) -> JobFacts:
    if facts is None:
        raise NotFound(f"job {job_id} is not in the plan")
    return facts
