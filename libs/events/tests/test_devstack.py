"""`make up` stops in order on Ctrl-C: the stack hears it once, and every child is gone after."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mes_events.devstack import stop_processes

# Records its process group and every SIGINT/SIGTERM it gets; exits 3 a moment after the first.
CHILD = """
import os, signal, sys, time
log = open(sys.argv[1], "a", buffering=1)
got = []
def note(signum, _frame):
    got.append(signum)
    log.write(f"signal {signal.Signals(signum).name}\\n")
signal.signal(signal.SIGINT, note)
signal.signal(signal.SIGTERM, note)
log.write(f"pgid {os.getpgid(0)}\\n")
deadline = time.monotonic() + 20
while not got and time.monotonic() < deadline:
    time.sleep(0.02)
time.sleep(0.5)  # time for a second, unwanted signal to arrive
sys.exit(3)
"""
SUPERVISOR = (
    "import sys; from mes_events.devstack import run_in_own_group; "
    "sys.exit(run_in_own_group(sys.argv[1:]))"
)


def _lines(path: Path, *, wanted: int, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= wanted:
            return lines
        time.sleep(0.02)
    raise AssertionError(f"{path}: fewer than {wanted} lines")


def test_ctrl_c_reaches_the_stack_once_through_up(tmp_path: Path) -> None:
    log, child = tmp_path / "child.log", tmp_path / "child.py"
    child.write_text(CHILD)
    # A session of its own stands for the terminal: Ctrl-C signals its whole foreground group.
    up = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR, sys.executable, str(child), str(log)],
        start_new_session=True,
    )
    try:
        (pgid,) = _lines(log, wanted=1)
        assert pgid != f"pgid {up.pid}", "the stack shares the terminal's process group"
        os.killpg(up.pid, signal.SIGINT)
        assert up.wait(timeout=20) == 3  # the stack's exit code
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
    assert log.read_text().splitlines()[1:] == ["signal SIGINT"]


IGNORES_SIGTERM = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print(1, flush=True); time.sleep(60)"
)


def test_stopping_kills_what_ignores_sigterm_after_the_grace() -> None:
    stubborn = subprocess.Popen([sys.executable, "-c", IGNORES_SIGTERM], stdout=subprocess.PIPE)
    polite = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert stubborn.stdout is not None and stubborn.stdout.readline().strip() == b"1"
    started = time.monotonic()
    stop_processes([stubborn, polite], grace=1.0)
    assert polite.returncode == -signal.SIGTERM
    assert stubborn.returncode == -signal.SIGKILL
    assert 1.0 <= time.monotonic() - started < 10
