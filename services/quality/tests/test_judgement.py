"""Pass/fail at and around the limits (inclusive), and measurements in other units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mes_events.catalog.common import Characteristic, InspectionSpec
from mes_quality.domain.errors import InvalidInput
from mes_quality.domain.judgement import Sample, judge
from mes_quality.domain.units import UnitMismatch, convert

MM = Characteristic(
    name="diameter",
    nominal=Decimal("10.00"),
    lower=Decimal("9.98"),
    upper=Decimal("10.02"),
    unit="mm",
)
INCH_MAX = Characteristic(name="height", nominal=Decimal("0.45"), upper=Decimal("0.5"), unit="in")
MIN_ONLY = Characteristic(name="hardness", nominal=Decimal("60"), lower=Decimal("58"), unit="HRC")
CELSIUS = Characteristic(
    name="temp", nominal=Decimal("20"), lower=Decimal("18"), upper=Decimal("22"), unit="°C"
)


def one(c: Characteristic, value: str, unit: str | None = None) -> bool:
    spec = InspectionSpec(characteristics=(c,), sample_size=1)
    return judge(spec, [Sample(c.name, (Decimal(value),), unit)]).passed


@pytest.mark.parametrize(
    ("c", "value", "unit", "passed"),
    [
        # (characteristic, measured value, unit of the value (None = the spec's), verdict)
        (MM, "10.00", None, True),
        (MM, "9.98", None, True),  # lower limit itself: inclusive
        (MM, "10.02", None, True),  # upper limit itself: inclusive
        (MM, "10.020", None, True),  # trailing zeros change nothing
        (MM, "9.979", None, False),
        (MM, "10.021", None, False),
        (MM, "10.0200000001", None, False),  # any excess fails, no float rounding
        (MM, "9.9799999999", None, False),
        (MM, "10.00", "mm", True),
        (MM, "1.002", "cm", True),  # = 10.02 mm exactly
        (MM, "1.0021", "cm", False),  # = 10.021 mm
        (MM, "0.00998", "m", True),  # = 9.98 mm
        (MM, "10020", "um", True),
        (MM, "10020.1", "µm", False),
        (MM, "0.3944", "in", True),  # = 10.01776 mm
        (MM, "0.3945", "in", False),  # = 10.0203 mm
        (MM, "0.3929", "in", False),  # = 9.97966 mm
        (INCH_MAX, "0.5", None, True),
        (INCH_MAX, "12.7", "mm", True),  # = 0.5 in exactly (1 in = 25.4 mm)
        (INCH_MAX, "12.7001", "mm", False),
        (INCH_MAX, "-3", None, True),  # one-sided: no lower bound
        (MIN_ONLY, "58", None, True),
        (MIN_ONLY, "57.99", None, False),
        (MIN_ONLY, "1000", None, True),  # one-sided: no upper bound
        (CELSIUS, "22", "°C", True),  # a unit we cannot convert is fine when it is the spec's
    ],
)
def test_limits_are_inclusive_and_units_convert_exactly(
    c: Characteristic, value: str, unit: str | None, passed: bool
) -> None:
    assert one(c, value, unit) is passed


@pytest.mark.parametrize(
    ("c", "unit", "reason"),
    [
        (MM, "kg", "'kg' is a mass unit, 'mm' a length unit"),
        (MM, "furlong", "'furlong' is not a unit this service converts"),
        (CELSIUS, "°F", "'°F' is not a unit this service converts"),  # affine: refused
        (MIN_ONLY, "HV", "'HV' is not a unit this service converts"),
    ],
)
def test_units_that_cannot_be_converted_are_refused_naming_the_field(
    c: Characteristic, unit: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        one(c, "1", unit)
    assert err.value.loc == ("measurements", 0, "unit")
    assert reason in str(err.value)


def test_converted_values_are_stored_in_the_spec_unit() -> None:
    spec = InspectionSpec(characteristics=(MM,), sample_size=2)
    verdict = judge(spec, [Sample("diameter", (Decimal("0.3937"), Decimal("1")), "in")])
    assert [m.value for m in verdict.measurements] == [Decimal("9.99998"), Decimal("25.4")]
    assert convert(Decimal("12.7"), "mm", "in") == Decimal("0.5")
    with pytest.raises(UnitMismatch):
        convert(Decimal(1), "N", "Nm")


LENGTH = Characteristic(
    name="length", nominal=Decimal(50), lower=Decimal(49), upper=Decimal(51), unit="mm"
)


def test_failing_characteristics_and_the_count_of_failed_pieces() -> None:
    spec = InspectionSpec(characteristics=(MM, LENGTH), sample_size=3)
    verdict = judge(
        spec,
        [
            Sample("length", tuple(map(Decimal, ("48", "50", "52")))),  # pieces 1 and 3 out
            Sample("diameter", tuple(map(Decimal, ("10.03", "10", "10")))),  # piece 1 out
        ],
    )
    assert not verdict.passed
    assert verdict.failed_characteristics == ("diameter", "length")  # in the spec's order
    assert verdict.failed_count == 2  # pieces 1 and 3
    assert verdict.outside == {"length": 2, "diameter": 1}


@pytest.mark.parametrize(
    ("samples", "loc", "message"),
    [
        ([Sample("bore", (Decimal(1),))], ("measurements", 0, "characteristic"), "not in"),
        (
            [Sample("diameter", (Decimal(10), Decimal(10)))],
            ("measurements", 0, "values"),
            "sample size is 1, got 2",
        ),
        ([Sample("diameter", ())], ("measurements", 0, "values"), "got 0"),
        (
            [Sample("diameter", (Decimal(10),)), Sample("diameter", (Decimal(10),))],
            ("measurements", 1, "characteristic"),
            "given twice",
        ),
        ([], ("measurements",), "no measurements for diameter"),
    ],
)
def test_bad_samples_name_the_field(
    samples: list[Sample], loc: tuple[str | int, ...], message: str
) -> None:
    spec = InspectionSpec(characteristics=(MM,), sample_size=1)
    with pytest.raises(InvalidInput) as err:
        judge(spec, samples)
    assert err.value.loc == loc
    assert message in str(err.value)
