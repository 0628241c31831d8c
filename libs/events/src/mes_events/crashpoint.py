"""Test-only crash points: with `MES_CRASH_AT=<point>` the process SIGKILLs itself there.

The reliability tests (tests/reliability/test_service_crash.py) use them to kill a service at
an exact moment no signal from outside could hit. Unset, as in production, a crash point is
one comparison with None. Points:

- `consumer.after_db_commit`: a consumer batch that applied events has committed in the
  database; its Kafka offsets are not committed and the relay has not published what the
  handlers appended.
"""

from __future__ import annotations

import os
import signal

VARIABLE = "MES_CRASH_AT"
_ARMED = os.environ.get(VARIABLE) or None


def crash_point(name: str) -> None:
    """Die at once, without cleanup, if the environment armed this point."""
    if _ARMED is not None and _ARMED == name:
        os.kill(os.getpid(), signal.SIGKILL)
