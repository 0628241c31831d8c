"""Plant time that runs faster than real time, shared by the services and the simulator.

The services take their clock as an argument (`create_app(..., clock=...)`) and have no
setting to speed it up, so `python -m mes_simulator.warp mes_orders [--role ...]` runs a
service exactly as its `__main__` does, but with this clock. Every process computes
plant time from the same three environment variables, so they agree without talking:

    plant now = MES_CLOCK_EPOCH + (wall now - MES_CLOCK_WALL_START) x MES_CLOCK_SPEED
"""

from __future__ import annotations

import functools
import importlib
import inspect
import os
import runpy
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

EPOCH, SPEED, WALL_START = "MES_CLOCK_EPOCH", "MES_CLOCK_SPEED", "MES_CLOCK_WALL_START"


@dataclass(frozen=True, slots=True)
class WarpedClock:
    """A clock callable like the services' `Clock`: plant time in UTC."""

    epoch: datetime
    speed: float = 1.0
    wall_start: float = 0.0

    def __call__(self) -> datetime:
        return self.epoch + timedelta(seconds=(time.time() - self.wall_start) * self.speed)

    def minutes(self) -> float:
        """Plant minutes since the epoch (scenario time)."""
        return (self() - self.epoch).total_seconds() / 60

    def at(self, minute: float) -> datetime:
        """Plant time of scenario minute `minute`."""
        return self.epoch + timedelta(minutes=minute)

    def wall_seconds_until(self, minute: float) -> float:
        """Wall seconds until scenario minute `minute` (negative if past)."""
        return (minute - self.minutes()) * 60 / self.speed

    def env(self) -> dict[str, str]:
        """The environment that gives another process the same clock."""
        return {
            EPOCH: self.epoch.isoformat(),
            SPEED: repr(self.speed),
            WALL_START: repr(self.wall_start),
        }

    @classmethod
    def from_env(cls) -> WarpedClock:
        """The clock the environment describes; plain wall time if it describes none."""
        if EPOCH not in os.environ:
            return cls(datetime.now(UTC), 1.0, time.time())
        return cls(
            datetime.fromisoformat(os.environ[EPOCH]),
            float(os.environ.get(SPEED, "1")),
            float(os.environ.get(WALL_START, repr(time.time()))),
        )

    @classmethod
    def from_settings(cls, epoch: str | None, speed: float, *, shifts: bool) -> WarpedClock:
        """The shared clock if `epoch` comes with the environment's wall start, else a new one."""
        if epoch is not None and WALL_START in os.environ:
            return cls(datetime.fromisoformat(epoch), speed, float(os.environ[WALL_START]))
        start = time.time()
        first = datetime.fromisoformat(epoch) if epoch else default_epoch(shifts=shifts)
        return cls(first, speed, start)


def default_epoch(*, shifts: bool, now: datetime | None = None) -> datetime:
    """Scenario minute 0: the next Monday 00:00 UTC with shift calendars, else this minute."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    if not shifts:
        return now
    midnight = now.replace(hour=0, minute=0)
    return midnight + timedelta(days=(7 - midnight.weekday()) % 7 or 7)


def service_command(module: str) -> list[str]:
    """How to start the service `module` on the warped clock of this environment."""
    return [sys.executable, "-m", "mes_simulator.warp", module]


def run_service(module: str, argv: Sequence[str]) -> None:
    """Run `module` like its `__main__`, with the clock from the environment if it takes one."""
    try:
        config = importlib.import_module(f"{module}.config")
        app = importlib.import_module(f"{module}.entrypoints.api.app")
    except ModuleNotFoundError:
        app = None
    create = getattr(app, "create_app", None)
    if create is None or "clock" not in inspect.signature(create).parameters:
        sys.argv = [module, *argv]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return
    from mes_events.service import serve

    serve(functools.partial(create, clock=WarpedClock.from_env()), config.Settings(), argv)


if __name__ == "__main__":
    run_service(sys.argv[1], sys.argv[2:])
