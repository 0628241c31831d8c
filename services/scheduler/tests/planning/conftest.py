"""Small hand-made plants shared by the planning tests."""

from __future__ import annotations

import pytest

from mes_scheduler.planning.model import Plant, WorkCenter
from mes_scheduler.planning.plan import Plan, empty_plan
from mes_scheduler.planning.scenarios import two_shift_calendar


@pytest.fixture
def shop() -> Plan:
    """Two groups (cut: 2 centers, one at half speed; weld: 1 center), always open."""
    centers = (
        WorkCenter("cut1", "cut"),
        WorkCenter("cut2", "cut", efficiency=0.5),
        WorkCenter("weld1", "weld"),
    )
    return empty_plan(Plant(centers))


@pytest.fixture
def shifted_shop() -> Plan:
    """Same shape on two-shift calendars with a 60-minute frozen horizon."""
    cal = two_shift_calendar()
    centers = (
        WorkCenter("cut1", "cut", calendar=cal),
        WorkCenter("cut2", "cut", calendar=cal),
        WorkCenter("weld1", "weld", calendar=cal),
    )
    return empty_plan(Plant(centers, frozen_horizon=60))
