"""The background improver: CP-SAT rounds on a copy of the plan, in a worker thread.

CP-SAT releases the GIL while it searches, so the consumer keeps repairing meanwhile. A
result is offered to the planner, which adopts it only if the plan has not moved since
(same revision), it is better, and the checker finds it feasible.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

import structlog

from mes_scheduler.application.planner import Planner
from mes_scheduler.planning import improver

log = structlog.get_logger("mes.scheduler.improver")


async def improve_once(
    planner: Planner, round_index: int = 0, *, cancel: threading.Event | None = None
) -> bool:
    """One improver round on the current plan; True if its result was adopted."""
    await planner.ensure_loaded()
    settings = planner.sch.settings
    state = planner.state
    now = max(state.now, state.axis.minute(planner.sch.clock()))
    config = improver.alternating(
        improver.ImproverSettings(
            time_limit=settings.improver_seconds, workers=settings.improver_workers
        ),
        round_index,
    )
    result = await asyncio.to_thread(improver.improve, state.plan, now, config, cancel=cancel)
    log.info("improver.round", status=result.status, seconds=round(result.seconds, 2))
    return await planner.adopt(result, now)


async def run(planner: Planner, stop: asyncio.Event) -> None:
    """Improve whenever the plan changed, until `stop` is set."""
    cancel = threading.Event()
    watcher = asyncio.create_task(_cancel_on(stop, cancel))
    tried = -1
    round_index = 0
    try:
        while not stop.is_set():
            await planner.ensure_loaded()
            revision = planner.state.plan.revision
            if revision == tried or not planner.state.plan.operations:
                planner.changed.clear()
                await _wait(planner.changed, stop, planner.sch.settings.improver_pause_seconds)
                continue
            try:
                adopted = await improve_once(planner, round_index, cancel=cancel)
            except Exception:
                log.exception("improver.failed")
                adopted = False
            round_index += 1
            # After an adoption, try again from the improved plan; otherwise wait for news.
            tried = -1 if adopted else revision
    finally:
        cancel.set()
        watcher.cancel()


async def _cancel_on(stop: asyncio.Event, cancel: threading.Event) -> None:
    await stop.wait()
    cancel.set()


async def _wait(event: asyncio.Event, stop: asyncio.Event, timeout: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(stop.wait())]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waiters:
                    w.cancel()
