"""Fixtures of the simulator tests."""

from __future__ import annotations

import pytest

from mes_simulator.scenario import Scenario, generate
from mes_simulator.testing import SMALL


@pytest.fixture(scope="session")
def small() -> Scenario:
    """About twenty orders on four centers, with breakdowns, shortages and rework."""
    return generate(SMALL)
