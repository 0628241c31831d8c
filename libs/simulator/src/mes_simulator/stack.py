"""What `make up` needs to run the simulator beside the services on one plant clock.

`mes_events.devstack` calls these when this package is installed and MES_SIMULATE is not
"0": the services start through `mes_simulator.warp` and the simulator drives them.
"""

from __future__ import annotations

import os
import sys
import time

from mes_simulator.warp import WarpedClock, default_epoch

SPEED = "MES_SIM_SPEED"


def clock_env() -> dict[str, str]:
    """A new plant clock starting now, MES_SIM_SPEED (default 60) times faster than real time."""
    speed = float(os.environ.get(SPEED, "60"))
    return WarpedClock(default_epoch(shifts=False), speed, time.time()).env()


def simulator_command() -> list[str]:
    """The simulator's command line; it reads the plant clock from the environment."""
    return [sys.executable, "-m", "mes_simulator", "simulate"]
