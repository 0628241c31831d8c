"""The inspection aggregate: requested after a job, judged once; a failure raises an NCR."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from mes_events.catalog.common import InspectionSpec
from mes_events.catalog.quality import (
    InspectionFailed,
    InspectionPassed,
    InspectionRequested,
    NonconformanceRaised,
)
from mes_events.catalog.scheduler import JobCompleted
from mes_events.errors import DomainError, NotFound
from mes_events.registry import DomainEvent
from mes_quality.domain.judgement import Sample, describe, judge

# The NCR's defect code when the inspector recorded none: the measurements failed.
OUT_OF_TOLERANCE = "OUT_OF_TOLERANCE"


class Status(StrEnum):
    NONE = "none"
    OPEN = "open"
    PASSED = "passed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RecordResults:
    """An inspector's measurements; ids and time come in, `decide` invents none."""

    inspection_id: str
    samples: Sequence[Sample]
    inspector: str
    inspected_at: datetime
    ncr_id: str
    defect_codes: tuple[str, ...] = ()
    lot_id: str | None = None


@dataclass(frozen=True, slots=True)
class Inspection:
    inspection_id: str = ""
    status: Status = Status.NONE
    order_id: str = ""
    operation_seq: int = 0
    spec: InspectionSpec | None = None


INITIAL = Inspection()


@dataclass(frozen=True, slots=True)
class Plan:
    """What the order says to inspect after one operation (from OrderReceived)."""

    order_id: str
    operation_seq: int
    product: str
    spec: InspectionSpec


def request_for(job: JobCompleted, plan: Plan, inspection_id: str) -> InspectionRequested | None:
    """The inspection a finished job needs; none when it made no good pieces to sample.

    A job that made fewer good pieces than the plan's sample size is sampled completely.
    """
    if job.good_quantity == 0:
        return None
    size = min(plan.spec.sample_size, job.good_quantity)
    return InspectionRequested(
        inspection_id=inspection_id,
        order_id=job.order_id,
        operation_seq=job.operation_seq,
        job_id=job.job_id,
        spec=plan.spec.model_copy(update={"sample_size": size}),
        product=plan.product,
        work_center_id=job.work_center_id,
        batch_quantity=job.good_quantity,
    )


def decide(cmd: RecordResults, state: Inspection) -> list[DomainEvent]:
    """Judge the results: InspectionPassed, or InspectionFailed and NonconformanceRaised."""
    if state.status is Status.NONE:
        raise NotFound(f"inspection {cmd.inspection_id} not found")
    if state.status is not Status.OPEN or state.spec is None:
        raise DomainError(
            f"inspection {cmd.inspection_id} is already {state.status.value}: "
            "results are recorded once"
        )
    verdict = judge(state.spec, cmd.samples)
    common = {
        "inspection_id": cmd.inspection_id,
        "order_id": state.order_id,
        "operation_seq": state.operation_seq,
        "measurements": verdict.measurements,
        "inspector": cmd.inspector,
        "inspected_at": cmd.inspected_at,
        "defect_codes": cmd.defect_codes,
    }
    if verdict.passed:
        return [InspectionPassed(**common)]
    ncr = NonconformanceRaised(
        ncr_id=cmd.ncr_id,
        order_id=state.order_id,
        operation_seq=state.operation_seq,
        quantity=verdict.failed_count,
        defect_code=cmd.defect_codes[0] if cmd.defect_codes else OUT_OF_TOLERANCE,
        description=describe(state.spec, verdict),
        inspection_id=cmd.inspection_id,
        lot_id=cmd.lot_id,
    )
    failed = InspectionFailed(
        **common,
        failed_characteristics=verdict.failed_characteristics,
        failed_count=verdict.failed_count,
    )
    return [failed, ncr]


def evolve(state: Inspection, event: DomainEvent) -> Inspection:
    """Total and free of checks: replaying stored events never fails."""
    match event:
        case InspectionRequested():
            return Inspection(
                event.inspection_id, Status.OPEN, event.order_id, event.operation_seq, event.spec
            )
        case InspectionPassed():
            return replace(state, status=Status.PASSED)
        case InspectionFailed():
            return replace(state, status=Status.FAILED)
    return state


def fold(events: Iterable[DomainEvent], state: Inspection = INITIAL) -> Inspection:
    return functools.reduce(evolve, events, state)
