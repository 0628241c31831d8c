"""Keep a long-running session (relay, consumer, projections) alive across failures."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger("mes.supervise")


class RestartNow(Exception):
    """A session ended on purpose and should start again at once (no back-off pause)."""


async def run_until_stopped(
    name: str,
    session: Callable[[], Awaitable[None]],
    stop: asyncio.Event,
    *,
    on_failure: Callable[[Exception], None] | None = None,
    backoff_s: float = 1.0,
) -> None:
    """Run `session` again after any failure (after a pause) until `stop` is set.

    Sessions resume from durable state (checkpoints, tracked versions), so a restart after a
    broker or database failure loses nothing; it may only repeat work that dedupe absorbs.
    """
    while not stop.is_set():
        try:
            await session()
        except asyncio.CancelledError as exc:
            if _cancelled_from_outside():
                raise
            # aiokafka can raise the CancelledError of a future it cancelled itself (a fetch
            # or group waiter, when the broker goes away): that ends the session, not the task.
            log.warning("session.restart", session=name, error=repr(exc), exc_info=True)
            if on_failure is not None:
                on_failure(RuntimeError("a library's own cancellation leaked"))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff_s)
        except RestartNow as exc:
            log.info("session.restart_now", session=name, reason=str(exc))
            if on_failure is not None:
                on_failure(exc)
        except Exception as exc:
            log.warning("session.restart", session=name, error=repr(exc))
            if on_failure is not None:
                on_failure(exc)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=backoff_s)


def _cancelled_from_outside() -> bool:
    """Whether someone asked the running task to stop (as against a stray CancelledError)."""
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0
