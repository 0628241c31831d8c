"""The warped clock: every process computes the same plant time from the environment."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from mes_simulator.warp import WarpedClock, default_epoch, service_command


def test_plant_time_runs_speed_times_faster() -> None:
    epoch = datetime(2026, 11, 23, tzinfo=UTC)
    clock = WarpedClock(epoch, speed=600.0, wall_start=time.time() - 6.0)
    assert 59.5 <= clock.minutes() <= 61.0  # 6 wall seconds x 600 = 60 plant minutes
    assert clock.at(90) == datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
    assert 2.9 <= clock.wall_seconds_until(90) <= 3.1


def test_another_process_gets_the_same_clock_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = WarpedClock(datetime(2026, 11, 23, tzinfo=UTC), 60.0, time.time())
    for name, value in clock.env().items():
        monkeypatch.setenv(name, value)
    assert WarpedClock.from_env() == clock


def test_with_shifts_the_scenario_starts_on_the_next_monday() -> None:
    wednesday = datetime(2026, 11, 25, 15, 42, 7, tzinfo=UTC)
    assert default_epoch(shifts=True, now=wednesday) == datetime(2026, 11, 30, tzinfo=UTC)
    monday = datetime(2026, 11, 30, 0, 0, 30, tzinfo=UTC)
    assert default_epoch(shifts=True, now=monday) == datetime(2026, 12, 7, tzinfo=UTC)
    assert default_epoch(shifts=False, now=wednesday) == datetime(2026, 11, 25, 15, 42, tzinfo=UTC)
    assert service_command("mes_orders")[1:] == ["-m", "mes_simulator.warp", "mes_orders"]
