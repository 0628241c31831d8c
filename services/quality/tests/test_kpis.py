"""KPI arithmetic: the defect Pareto, yield ratios and the age of open NCRs (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mes_quality.domain.kpis import ages, pareto, ratio

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def test_pareto_sorts_by_count_then_code_with_cumulative_share() -> None:
    # 10 defects: BURR 5 (50 %), CHIP 2 and DENT 2 (20 % each, by code), SCRATCH 1
    bars = pareto({"SCRATCH": 1, "DENT": 2, "BURR": 5, "CHIP": 2})
    assert [(b.defect_code, b.count) for b in bars] == [
        ("BURR", 5),
        ("CHIP", 2),
        ("DENT", 2),
        ("SCRATCH", 1),
    ]
    assert [b.percent for b in bars] == [50, 20, 20, 10]
    assert [b.cumulative_percent for b in bars] == [50, 70, 90, 100]
    assert pareto({}) == []


def test_ratios_and_ages() -> None:
    assert ratio(3, 4) == 0.75 and ratio(0, 0) is None
    waited = ages([T0 - timedelta(hours=6), T0 - timedelta(hours=2)], T0)
    assert waited.count == 2
    assert [waited.oldest_hours, waited.mean_hours] == pytest.approx([6, 4])
    assert ages([], T0).oldest_hours is None
