"""What `make up` needs to run the simulator beside the services on one plant clock.

`mes_events.devstack` calls these when this package is installed and MES_SIMULATE is not
"0": the services start through `mes_simulator.warp` and the simulator drives them.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from mes_simulator.warp import WarpedClock, default_epoch

SPEED = "MES_SIM_SPEED"
CLOCK_FILE = "MES_PLANT_CLOCK_FILE"


def clock_file() -> Path:
    """Where the simulator leaves the plant time it reached (in the stack's data directory)."""
    return Path(os.environ.get("MES_DATA_DIR", ".data")).resolve() / "plant-clock"


def clock_env() -> dict[str, str]:
    """A plant clock MES_SIM_SPEED (default 60) times faster than real time.

    It starts now, or where the last run's plant time stopped if that is later: the stored
    events of a warped run lie ahead of the wall clock, and time must not run backwards.
    """
    speed = float(os.environ.get(SPEED, "60"))
    start = default_epoch(shifts=False)
    path = clock_file()
    if path.exists():
        reached = datetime.fromisoformat(path.read_text().strip()) + timedelta(minutes=1)
        start = max(start, reached.replace(second=0, microsecond=0))
    return WarpedClock(start, speed, time.time()).env() | {CLOCK_FILE: str(path)}


def remember(clock: WarpedClock) -> None:
    """Leave the plant time reached for the next `make up` (only when it asked for it)."""
    path = os.environ.get(CLOCK_FILE)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(clock().isoformat())


def simulator_command() -> list[str]:
    """The simulator's command line; it reads the plant clock from the environment."""
    return [sys.executable, "-m", "mes_simulator", "simulate"]
