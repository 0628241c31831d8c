"""The inspection and NCR deciders: given events, when a command, then events (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from mes_events.catalog.common import Characteristic, InspectionSpec
from mes_events.catalog.quality import (
    DispositionDecided,
    InspectionFailed,
    InspectionPassed,
    InspectionRequested,
    NonconformanceRaised,
    Rework,
    ReworkOperation,
    Scrap,
    UseAsIs,
)
from mes_events.catalog.scheduler import JobCompleted
from mes_events.errors import DomainError, NotFound
from mes_quality.domain import inspection, ncr
from mes_quality.domain.errors import InvalidInput
from mes_quality.domain.inspection import OUT_OF_TOLERANCE, Plan, RecordResults, request_for
from mes_quality.domain.judgement import Sample

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
BORE = Characteristic(
    name="bore", nominal=Decimal("12.00"), lower=Decimal("11.98"), upper=Decimal("12.02"), unit="mm"
)
SPEC = InspectionSpec(characteristics=(BORE,), sample_size=3)
PLAN = Plan("SO-1", 20, "BRACKET", SPEC)


def job(good: int) -> JobCompleted:
    return JobCompleted(
        job_id="J-1",
        order_id="SO-1",
        operation_seq=20,
        work_center_id="CNC-2",
        good_quantity=good,
        scrap_quantity=1,
        actual_minutes=Decimal(40),
        operator="ann",
        completed_at=T0,
    )


REQUESTED = request_for(job(10), PLAN, "I-1")


def results(*values: str, codes: tuple[str, ...] = (), lot: str | None = None) -> RecordResults:
    sample = Sample("bore", tuple(Decimal(v) for v in values))
    return RecordResults("I-1", [sample], "eve", T0, "N-1", codes, lot)


def test_a_job_requests_its_plan_with_the_sample_size_it_can_give() -> None:
    assert REQUESTED is not None
    assert (REQUESTED.product, REQUESTED.work_center_id, REQUESTED.batch_quantity) == (
        "BRACKET",
        "CNC-2",
        10,
    )
    assert REQUESTED.spec.sample_size == 3
    short = request_for(job(2), PLAN, "I-2")
    assert short is not None and short.spec.sample_size == 2  # only 2 good pieces to measure
    assert request_for(job(0), PLAN, "I-3") is None  # nothing good to inspect


def test_results_within_limits_pass() -> None:
    assert REQUESTED is not None
    state = inspection.fold([REQUESTED])
    (passed,) = inspection.decide(results("11.98", "12.00", "12.02"), state)
    assert isinstance(passed, InspectionPassed)
    assert [m.value for m in passed.measurements] == [
        Decimal("11.98"),
        Decimal("12.00"),
        Decimal("12.02"),
    ]
    assert inspection.fold([passed], state).status is inspection.Status.PASSED


def test_results_out_of_limits_fail_and_raise_a_nonconformance() -> None:
    assert REQUESTED is not None
    state = inspection.fold([REQUESTED])
    failed, raised = inspection.decide(results("11.97", "12.00", "12.03", lot="L-9"), state)
    assert isinstance(failed, InspectionFailed) and isinstance(raised, NonconformanceRaised)
    assert (failed.failed_characteristics, failed.failed_count) == (("bore",), 2)
    assert (raised.ncr_id, raised.quantity, raised.defect_code, raised.lot_id) == (
        "N-1",
        2,
        OUT_OF_TOLERANCE,
        "L-9",
    )
    assert raised.inspection_id == "I-1"
    assert raised.description == "bore: 2 of 3 sampled pieces outside [11.98, 12.02] mm"
    _, coded = inspection.decide(results("11.9", "12", "12", codes=("BURR", "CHIP")), state)
    assert isinstance(coded, NonconformanceRaised) and coded.defect_code == "BURR"


def test_results_are_recorded_once_and_only_for_a_known_inspection() -> None:
    assert REQUESTED is not None
    state = inspection.fold([REQUESTED])
    done = inspection.decide(results("12", "12", "12"), state)
    with pytest.raises(DomainError, match="already passed"):
        inspection.decide(results("12", "12", "12"), inspection.fold(done, state))
    with pytest.raises(NotFound):
        inspection.decide(results("12", "12", "12"), inspection.INITIAL)


RAISED = NonconformanceRaised(
    ncr_id="N-1",
    order_id="SO-1",
    operation_seq=20,
    quantity=2,
    defect_code="BURR",
    description="burr on bore",
)
REWORK = Rework(
    kind="rework",
    operations=(
        ReworkOperation(operation="deburr", work_center_group="BENCH", minutes=Decimal(20)),
    ),
)


def dispose(disposition: Rework | Scrap | UseAsIs, limit: int = 10) -> ncr.DecideDisposition:
    return ncr.DecideDisposition("N-1", disposition, "qa-lead", limit)


@pytest.mark.parametrize(
    "disposition",
    [REWORK, Scrap(kind="scrap", quantity=10), UseAsIs(kind="use_as_is", justification="D-12")],
)
def test_an_open_nonconformance_takes_one_disposition(
    disposition: Rework | Scrap | UseAsIs,
) -> None:
    state = ncr.fold([RAISED])
    (decided,) = ncr.decide(dispose(disposition), state)
    assert decided == DispositionDecided(
        ncr_id="N-1",
        order_id="SO-1",
        operation_seq=20,
        disposition=disposition,
        decided_by="qa-lead",
    )
    closed = ncr.fold([decided], state)
    assert closed.status is ncr.Status.DISPOSITIONED
    with pytest.raises(DomainError, match=f"already has a disposition \\({disposition.kind}\\)"):
        ncr.decide(dispose(REWORK), closed)


def test_scrap_beyond_what_the_nonconformance_covers_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        ncr.decide(dispose(Scrap(kind="scrap", quantity=11), limit=10), ncr.fold([RAISED]))
    assert err.value.loc == ("disposition", "quantity")
    with pytest.raises(NotFound):
        ncr.decide(dispose(REWORK), ncr.INITIAL)


def test_a_person_raises_a_nonconformance_once() -> None:
    cmd = ncr.RaiseNonconformance("N-2", "SO-1", 10, 4, "CRACK", "cracked", lot_id="L-1")
    (raised,) = ncr.decide(cmd, ncr.INITIAL)
    assert isinstance(raised, NonconformanceRaised) and raised.lot_id == "L-1"
    with pytest.raises(DomainError, match="already exists"):
        ncr.decide(cmd, ncr.fold([raised]))


def test_evolve_ignores_unrelated_events() -> None:
    assert isinstance(REQUESTED, InspectionRequested)
    assert ncr.fold([REQUESTED]) == ncr.INITIAL
    assert inspection.fold([RAISED]) == inspection.INITIAL
