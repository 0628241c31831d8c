"""Exact conversion between units of one dimension (length, mass, force, ...).

Why a table and not pint: limits are inclusive and judged on decimals, so a conversion must be
exact (1 in = 25.4 mm by definition), and pint's float path turns 10.02 into
10.020000000000001. Only units with an exact decimal factor are listed; anything else
(temperatures, whose conversion is affine, or unknown units) is refused unless it is the
characteristic's own unit.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from typing import NamedTuple


class Factor(NamedTuple):
    dimension: str
    to_base: Decimal


def _units(dimension: str, table: dict[str, str]) -> dict[str, Factor]:
    return {unit: Factor(dimension, Decimal(f)) for unit, f in table.items()}


UNITS: dict[str, Factor] = {
    **_units(
        "length",
        {
            "m": "1",
            "cm": "0.01",
            "mm": "0.001",
            "um": "0.000001",
            "µm": "0.000001",
            "μm": "0.000001",
            "nm": "0.000000001",
            "in": "0.0254",
            "ft": "0.3048",
            "thou": "0.0000254",
            "mil": "0.0000254",
        },
    ),
    **_units(
        "mass",
        {
            "kg": "1",
            "g": "0.001",
            "mg": "0.000001",
            "t": "1000",
            "lb": "0.45359237",
            "oz": "0.028349523125",
        },
    ),
    **_units("force", {"N": "1", "kN": "1000"}),
    **_units("torque", {"Nm": "1", "N·m": "1", "N.m": "1", "kNm": "1000"}),
    **_units(
        "pressure", {"Pa": "1", "kPa": "1000", "MPa": "1000000", "bar": "100000", "mbar": "100"}
    ),
    **_units("time", {"s": "1", "ms": "0.001", "min": "60", "h": "3600"}),
    **_units("angle", {"deg": "1", "°": "1"}),
    **_units("ratio", {"%": "0.01", "ppm": "0.000001"}),
}

# Enough digits that a value a gauge can show never rounds across a limit.
_PRECISION = 40


class UnitMismatch(ValueError):
    """The value's unit cannot be converted exactly to the characteristic's unit."""


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """`value` in `from_unit` expressed in `to_unit`; raises UnitMismatch when impossible."""
    if from_unit == to_unit:
        return value
    source, target = UNITS.get(from_unit), UNITS.get(to_unit)
    if source is None or target is None:
        unknown = from_unit if source is None else to_unit
        raise UnitMismatch(
            f"no exact conversion from {from_unit!r} to {to_unit!r}: "
            f"{unknown!r} is not a unit this service converts"
        )
    if source.dimension != target.dimension:
        raise UnitMismatch(
            f"{from_unit!r} is a {source.dimension} unit, {to_unit!r} a {target.dimension} unit"
        )
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return value * source.to_base / target.to_base
