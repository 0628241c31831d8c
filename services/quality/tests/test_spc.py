"""SPC arithmetic against hand computations and textbook values; Western Electric rules."""

from __future__ import annotations

from math import sqrt

import pytest

from mes_quality.domain.spc.capability import Capability, capability
from mes_quality.domain.spc.charts import Limits, UnsupportedSubgroup, chart
from mes_quality.domain.spc.constants import TABLE
from mes_quality.domain.spc.rules import western_electric

approx = pytest.approx


def limits(x: Limits | None) -> list[float]:
    assert x is not None
    return [x.lcl, x.center, x.ucl]


def ratios(c: Capability) -> list[float | None]:
    return [c.cp, c.cpu, c.cpl, c.cpk]


def test_individuals_and_moving_range_by_hand() -> None:
    # x = 10, 12, 11, 13, 12            x̄ = 58 / 5 = 11.6
    # MR = 2, 1, 2, 1                   MR̄ = 6 / 4 = 1.5
    # X limits: 11.6 ± 2.66·1.5 = 11.6 ± 3.99 -> LCL 7.61, UCL 15.59
    # MR limits: D3·1.5 = 0, D4·1.5 = 3.267·1.5 = 4.9005
    # σ̂ = MR̄ / d2 = 1.5 / 1.128 = 1.329787...
    # spec 8..15: Cp = 7 / (6·1.329787) = 0.877333; Cpu = (15 − 11.6) / (3·1.329787) = 0.852267
    #             Cpl = (11.6 − 8) / 3.989362 = 0.902400; Cpk = min = 0.852267
    c = chart([[10], [12], [11], [13], [12]])
    assert c.kind == "individuals"
    assert c.spread == [None, 2, 1, 2, 1]
    assert limits(c.location_limits) == approx([7.61, 11.6, 15.59])
    assert limits(c.spread_limits) == approx([0, 1.5, 4.9005])
    assert c.sigma is not None and c.sigma == approx(1.329787, abs=1e-6)
    cap = capability(limits(c.location_limits)[1], c.sigma, 8, 15)
    assert ratios(cap) == approx([0.877333, 0.852267, 0.902400, 0.852267], abs=1e-6)
    assert c.location_rules == [[], [], [], [], []]


def test_xbar_r_by_hand() -> None:
    # subgroups of n = 3: (1,2,3) (2,4,6) (3,3,3) (2,3,4)
    # means 2, 4, 3, 3 -> x̿ = 3;  ranges 2, 4, 0, 2 -> R̄ = 2
    # X̄ limits: 3 ± A2·R̄ = 3 ± 1.023·2 -> 0.954, 5.046
    # R limits: D3·2 = 0, D4·2 = 2.574·2 = 5.148
    # σ̂ = R̄ / d2 = 2 / 1.693 = 1.181335; spec 0..6: Cp = Cpk = 6 / (6·1.181335) = 0.8465
    c = chart([[1, 2, 3], [2, 4, 6], [3, 3, 3], [2, 3, 4]])
    assert (c.kind, c.subgroup_size) == ("xbar_r", 3)
    assert c.location == [2, 4, 3, 3] and c.spread == [2, 4, 0, 2]
    assert limits(c.location_limits) == approx([0.954, 3, 5.046])
    assert limits(c.spread_limits) == approx([0, 2, 5.148])
    assert c.sigma is not None and c.sigma == approx(1.181335, abs=1e-6)
    cap = capability(limits(c.location_limits)[1], c.sigma, 0, 6)
    assert ratios(cap) == approx([0.8465, 0.8465, 0.8465, 0.8465])


def test_range_chart_flags_a_subgroup_beyond_its_limit() -> None:
    # eight subgroups (0, 1) of range 1 and one (0, 12) of range 12 (n = 2):
    # R̄ = (8 + 12) / 9 = 2.2222, R chart UCL = D4·R̄ = 3.267·2.2222 = 7.26, LCL = 0.
    c = chart([[0, 1]] * 8 + [[0, 12]])
    assert c.spread_beyond == [False] * 8 + [True]


def test_cpk_of_montgomerys_off_center_process() -> None:
    # Montgomery, Introduction to Statistical Quality Control (6th ed.), ch. 8, the process
    # capability ratio for an off-center process: USL = 62, LSL = 38, σ = 2. Centred at 50 it
    # has Cp = Cpk = 2.0; moved to μ = 53, Cp stays 2.0, Cpu = (62 − 53)/(3·2) = 1.5,
    # Cpl = (53 − 38)/(3·2) = 2.5, so Cpk = 1.5.
    assert ratios(capability(50, 2, 38, 62)) == approx([2.0, 2.0, 2.0, 2.0])
    assert ratios(capability(53, 2, 38, 62)) == approx([2.0, 1.5, 2.5, 1.5])


def test_cp_of_montgomerys_hard_bake_example() -> None:
    # Montgomery (6th ed.), ch. 6, flow width of the hard-bake process: 25 samples of n = 5,
    # x̿ = 1.5056, R̄ = 0.32521, specs 1.50 ± 0.50 µm. σ̂ = R̄/d2 = 0.32521/2.326 = 0.1398,
    # Ĉp = (2.00 − 1.00)/(6·0.1398) = 1.192 (the book's value).
    sigma = 0.32521 / TABLE[5].d2
    cap = capability(1.5056, sigma, 1.00, 2.00)
    assert cap.cp == approx(1.192, abs=5e-4)
    # Cpk by hand: min(2.00 − 1.5056, 1.5056 − 1.00) / (3·0.139815) = 0.4944 / 0.419445 = 1.1787
    assert cap.cpk == approx(1.1787, abs=5e-4)


def test_one_sided_specs_and_zero_spread() -> None:
    assert ratios(capability(10, 1, None, 16)) == [None, approx(2.0), None, approx(2.0)]
    assert ratios(capability(10, 0, 8, 12)) == [None, None, None, None]


@pytest.mark.parametrize(
    ("points", "flags"),
    [
        # centre 0, σ 1 throughout; each series trips exactly one rule at one point
        ([0.5, -0.5, 3.5, -0.5], {2: [1]}),  # rule 1: beyond 3σ
        ([0.5, 2.5, -0.5, 2.5], {3: [2]}),  # rule 2: 2 of 3 beyond 2σ, same side
        ([-2.5, -2.6, 0.3], {1: [2]}),  # rule 2 below, in the first window
        ([1.5, 1.5, -0.5, 1.5, 1.5], {4: [3]}),  # rule 3: 4 of 5 beyond 1σ, same side
        ([0.5, 0.3, 0.8, 0.1, 0.6, 0.4, 0.9, 0.2], {7: [4]}),  # rule 4: 8 on one side
        ([-0.5] * 9, {7: [4], 8: [4]}),  # the run goes on: every further point too
        ([0.5] * 4 + [0.0] + [0.5] * 7, {}),  # a point on the centre line breaks the run
        ([2.5, -2.5, 2.5], {2: [2]}),  # same side counts, the other side does not
        ([2.5, 1.0, 1.2], {}),  # 1σ exactly is not beyond it
        ([3.0, -3.0], {}),  # a point on a control limit is not beyond it
    ],
)
def test_western_electric_rules(points: list[float], flags: dict[int, list[int]]) -> None:
    expected = [flags.get(i, []) for i in range(len(points))]
    assert western_electric(points, 0.0, 1.0) == expected


def test_a_point_can_break_several_rules() -> None:
    # 1.5 ×3 then 3.5: beyond 3σ (1), 2 of 3 beyond 2σ? only one -> no; 4 of 5 beyond 1σ (3)
    assert western_electric([1.5, 1.5, 1.5, 3.5], 0.0, 1.0)[3] == [1, 3]


def test_a_chart_applies_the_rules_with_its_own_sigma() -> None:
    # 10, 10.2 four times, then 11: MR = 0.2 (×7) and 0.8 -> MR̄ = 2.2 / 8 = 0.275;
    # x̄ = 91.8 / 9 = 10.2; UCL = 10.2 + 2.66·0.275 = 10.9315 < 11 -> rule 1 on the last point.
    # σ of the chart = 2.66·0.275 / 3 = 0.2438: the 10s are 0.2 below (inside 1σ), the 10.2s
    # sit on the centre line and break every run, so nothing else is flagged.
    c = chart([[v] for v in (10, 10.2, 10, 10.2, 10, 10.2, 10, 10.2, 11)])
    assert c.location_limits is not None
    assert c.location_limits.ucl == approx(10.9315)
    assert c.location_rules == [[]] * 8 + [[1]]


def test_constants_table_is_consistent() -> None:
    # A2 = 3 / (d2·√n) by definition; D3 + D4 = 2 wherever D3 > 0 (D = 1 ∓ 3·d3/d2).
    for n, c in TABLE.items():
        assert c.a2 == approx(3 / (c.d2 * sqrt(n)), abs=1.5e-3), n
        if c.d3 > 0:
            assert c.d3 + c.d4 == approx(2, abs=1.5e-3), n


def test_single_values_have_no_limits_and_huge_subgroups_are_refused() -> None:
    lone = chart([[4.2]])
    assert lone.location_limits is None and lone.sigma is None and lone.location_rules == [[]]
    with pytest.raises(UnsupportedSubgroup):
        chart([[1.0] * 26])
    with pytest.raises(ValueError, match="one size"):
        chart([[1.0, 2.0], [1.0]])
