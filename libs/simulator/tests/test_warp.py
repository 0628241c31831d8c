"""The warped clock: every process computes the same plant time from the environment."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mes_simulator import stack
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


def test_make_up_continues_plant_time_where_the_last_run_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MES_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MES_SIM_SPEED", "120")
    first = stack.clock_env()
    assert first["MES_CLOCK_SPEED"] == "120.0" and not (tmp_path / "plant-clock").exists()
    ahead = datetime.now(UTC) + timedelta(days=3)
    later = WarpedClock(ahead, 120.0, time.time())
    monkeypatch.setenv("MES_PLANT_CLOCK_FILE", first["MES_PLANT_CLOCK_FILE"])
    stack.remember(later)
    second = stack.clock_env()
    epoch = datetime.fromisoformat(second["MES_CLOCK_EPOCH"])
    assert ahead < epoch <= ahead + timedelta(minutes=2)
