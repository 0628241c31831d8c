"""Control chart constants for subgroups of n = 2..25 (Montgomery, Introduction to Statistical
Quality Control, Appendix Table VI; the same values as ASTM STP 15D).

d2: mean of the relative range R/σ; A2 = 3 / (d2·√n); D3, D4: range chart limits.
E2 = 3 / d2(2) = 2.66 turns the mean moving range into individuals limits.
"""

from __future__ import annotations

from typing import NamedTuple


class Constants(NamedTuple):
    a2: float
    d2: float
    d3: float
    d4: float


TABLE: dict[int, Constants] = {
    2: Constants(1.880, 1.128, 0.0, 3.267),
    3: Constants(1.023, 1.693, 0.0, 2.574),
    4: Constants(0.729, 2.059, 0.0, 2.282),
    5: Constants(0.577, 2.326, 0.0, 2.114),
    6: Constants(0.483, 2.534, 0.0, 2.004),
    7: Constants(0.419, 2.704, 0.076, 1.924),
    8: Constants(0.373, 2.847, 0.136, 1.864),
    9: Constants(0.337, 2.970, 0.184, 1.816),
    10: Constants(0.308, 3.078, 0.223, 1.777),
    11: Constants(0.285, 3.173, 0.256, 1.744),
    12: Constants(0.266, 3.258, 0.283, 1.717),
    13: Constants(0.249, 3.336, 0.307, 1.693),
    14: Constants(0.235, 3.407, 0.328, 1.672),
    15: Constants(0.223, 3.472, 0.347, 1.653),
    16: Constants(0.212, 3.532, 0.363, 1.637),
    17: Constants(0.203, 3.588, 0.378, 1.622),
    18: Constants(0.194, 3.640, 0.391, 1.608),
    19: Constants(0.187, 3.689, 0.403, 1.597),
    20: Constants(0.180, 3.735, 0.415, 1.585),
    21: Constants(0.173, 3.778, 0.425, 1.575),
    22: Constants(0.167, 3.819, 0.434, 1.566),
    23: Constants(0.162, 3.858, 0.443, 1.557),
    24: Constants(0.157, 3.895, 0.451, 1.548),
    25: Constants(0.153, 3.931, 0.459, 1.541),
}

E2 = 2.66
MAX_SUBGROUP = max(TABLE)
