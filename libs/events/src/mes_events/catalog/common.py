"""Value types shared by more than one service's events: ids, quantities, routings, specs.

Counts of pieces are `int`; material amounts and durations are `Decimal` (exact), written to
JSON as plain decimal strings ("12.5", never "1.25E+1") so no consumer loses precision.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

DEFAULT_PLANT = "default"


def _plain_decimal(value: Decimal) -> str:
    # `format(.., "f")` avoids exponent notation; zero is normalised so "-0" cannot appear.
    return format(value, "f") if value else "0"


_AS_PLAIN_STRING = PlainSerializer(_plain_decimal, return_type=str, when_used="json")
_UNSIGNED = r"^[0-9]+(\.[0-9]+)?$"
_SIGNED = r"^-?[0-9]+(\.[0-9]+)?$"


def _decimal_schema(pattern: str, description: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, "description": description})


Code = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(max_length=2000)]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=16)]
Pieces = Annotated[int, Field(ge=0)]
PositivePieces = Annotated[int, Field(ge=1)]
Seq = Annotated[int, Field(ge=1)]
Priority = Annotated[int, Field(ge=1, le=5, description="1 = most urgent, 5 = least urgent.")]

Quantity = Annotated[
    Decimal, Field(ge=0), _AS_PLAIN_STRING, _decimal_schema(_UNSIGNED, "Decimal amount, >= 0.")
]
PositiveQuantity = Annotated[
    Decimal, Field(gt=0), _AS_PLAIN_STRING, _decimal_schema(_UNSIGNED, "Decimal amount, > 0.")
]
SignedQuantity = Annotated[
    Decimal, _AS_PLAIN_STRING, _decimal_schema(_SIGNED, "Signed decimal amount.")
]
Minutes = Annotated[
    Decimal, Field(ge=0), _AS_PLAIN_STRING, _decimal_schema(_UNSIGNED, "Decimal minutes, >= 0.")
]
SignedMinutes = Annotated[
    Decimal, _AS_PLAIN_STRING, _decimal_schema(_SIGNED, "Signed decimal minutes.")
]
Measure = Annotated[
    Decimal, _AS_PLAIN_STRING, _decimal_schema(_SIGNED, "Signed decimal measured value.")
]


class ValueModel(BaseModel):
    """Base of the immutable value objects nested in event payloads."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Characteristic(ValueModel):
    """A measured characteristic with its nominal value and (one- or two-sided) limits."""

    name: Code
    nominal: Measure
    lower: Measure | None = None
    upper: Measure | None = None
    unit: Unit

    @model_validator(mode="after")
    def _limits_bracket_nominal(self) -> Self:
        if self.lower is not None and self.lower > self.nominal:
            raise ValueError(f"{self.name}: lower limit above nominal")
        if self.upper is not None and self.upper < self.nominal:
            raise ValueError(f"{self.name}: upper limit below nominal")
        return self


class InspectionSpec(ValueModel):
    """What to measure after an operation, and on how many pieces."""

    characteristics: tuple[Characteristic, ...] = Field(min_length=1)
    sample_size: PositivePieces


class RoutingOperation(ValueModel):
    """One step of a routing: an operation on any work center of a group."""

    seq: Seq
    operation: Code
    work_center_group: Code
    setup_minutes: Minutes
    run_minutes_per_unit: Minutes
    inspection: InspectionSpec | None = None


class MaterialRequirement(ValueModel):
    """A bill-of-materials line: how much of a material one unit needs, at which operation."""

    material_id: Code
    quantity_per_unit: PositiveQuantity
    operation_seq: Seq


def check_routing(
    routing: tuple[RoutingOperation, ...], materials: tuple[MaterialRequirement, ...]
) -> None:
    """Reject duplicate operation numbers and materials issued to an unknown operation."""
    seqs = [op.seq for op in routing]
    if len(set(seqs)) != len(seqs):
        raise ValueError("routing operation seq numbers must be unique")
    unknown = sorted({m.operation_seq for m in materials} - set(seqs))
    if unknown:
        raise ValueError(f"materials reference unknown operation seq {unknown}")
