"""Events of the quality service (topic mes.quality).

Stream types: "inspection" (a request and its result) and "ncr" (a nonconformance and the
disposition that feeds rework or scrap back into the plan).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from mes_events.catalog.common import (
    Code,
    InspectionSpec,
    Measure,
    Minutes,
    Pieces,
    PositivePieces,
    Seq,
    Text,
    ValueModel,
)
from mes_events.registry import DomainEvent

INSPECTION = "inspection"
NCR = "ncr"


class Measurement(ValueModel):
    """One measured value of one characteristic on one sampled piece, in the spec's unit."""

    characteristic: Code
    sample: PositivePieces = Field(description="1-based index of the piece in the sample.")
    value: Measure


class InspectionRequested(
    DomainEvent, type_name="quality.InspectionRequested", version=1, stream_type=INSPECTION
):
    """An operation's output awaits inspection against the order's specification."""

    inspection_id: Code
    order_id: Code
    operation_seq: Seq
    job_id: Code | None = None
    spec: InspectionSpec
    # Added later (optional, absent on older events): what the quality read models group by.
    product: Code | None = Field(default=None, description="The order's product.")
    work_center_id: Code | None = Field(
        default=None, description="The work center the inspected job ran on."
    )
    batch_quantity: Pieces | None = Field(
        default=None, description="Good pieces the job made: the batch the sample is drawn from."
    )


class _InspectionResult(DomainEvent):
    """Fields common to both inspection outcomes (not an event type itself)."""

    inspection_id: Code
    order_id: Code
    operation_seq: Seq
    measurements: tuple[Measurement, ...]
    inspector: Code
    inspected_at: AwareDatetime
    defect_codes: tuple[Code, ...] = Field(
        default=(),
        description="Defects the inspector recorded, one entry per defect (added later).",
    )


class InspectionPassed(
    _InspectionResult, type_name="quality.InspectionPassed", version=1, stream_type=INSPECTION
):
    """Every characteristic of the sample was within its limits."""


class InspectionFailed(
    _InspectionResult, type_name="quality.InspectionFailed", version=1, stream_type=INSPECTION
):
    """At least one characteristic was out of its limits."""

    failed_characteristics: tuple[Code, ...] = Field(min_length=1)
    failed_count: PositivePieces | None = Field(
        default=None,
        description="Sampled pieces with a characteristic out of its limits (added later).",
    )


class NonconformanceRaised(
    DomainEvent, type_name="quality.NonconformanceRaised", version=1, stream_type=NCR
):
    """Pieces (or a lot) do not conform; a disposition will follow."""

    ncr_id: Code
    order_id: Code
    operation_seq: Seq
    quantity: PositivePieces
    defect_code: Code
    description: Text
    inspection_id: Code | None = None
    lot_id: Code | None = None


class ReworkOperation(ValueModel):
    """An operation to insert into the order's routing to repair the pieces."""

    operation: Code
    work_center_group: Code
    minutes: Minutes = Field(description="Total minutes for all pieces of the nonconformance.")


class Rework(ValueModel):
    """Repair the pieces with extra operations after the nonconforming one."""

    kind: Literal["rework"]
    operations: tuple[ReworkOperation, ...] = Field(min_length=1)


class Scrap(ValueModel):
    """Discard pieces; the order may need to make them again."""

    kind: Literal["scrap"]
    quantity: PositivePieces


class UseAsIs(ValueModel):
    """Accept the pieces despite the deviation."""

    kind: Literal["use_as_is"]
    justification: Annotated[str, Field(min_length=1, max_length=2000)]


Disposition = Annotated[Rework | Scrap | UseAsIs, Field(discriminator="kind")]


class DispositionDecided(
    DomainEvent, type_name="quality.DispositionDecided", version=1, stream_type=NCR
):
    """The decision on a nonconformance: rework, scrap or use as is."""

    ncr_id: Code
    order_id: Code
    operation_seq: Seq = Field(description="The operation the nonconformance was found after.")
    disposition: Disposition
    decided_by: Code
