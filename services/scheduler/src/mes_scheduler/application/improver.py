"""The background improver: CP-SAT rounds on a copy of the plan, in a worker thread.

CP-SAT releases the GIL while it searches, so the consumer keeps repairing meanwhile. Events
keep arriving during a round, so its result is computed on a revision that is old by the
time it is ready: the inputs logged since are replayed onto it (the planner's repairs are
deterministic), laid over the current plan, and offered to the planner, which adopts it only
if nothing arrived in between, it is better, and the checker finds it feasible.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

import structlog

from mes_scheduler.adapters import plan_store
from mes_scheduler.application.planner import Planner, Staged, _replay
from mes_scheduler.planning import improver
from mes_scheduler.planning.objective import score

log = structlog.get_logger("mes.scheduler.improver")

# Events that arrive while a result is being carried over make it stale once more; after
# this many tries the round gives up (the next round starts from the newer plan).
CATCH_UP_TRIES = 4


async def improve_once(
    planner: Planner, round_index: int = 0, *, cancel: threading.Event | None = None
) -> bool:
    """One improver round on the current plan; True if its result was adopted."""
    await planner.ensure_loaded()
    settings = planner.sch.settings
    base = committed(planner)
    config = improver.alternating(
        improver.ImproverSettings(
            time_limit=settings.improver_seconds, workers=settings.improver_workers
        ),
        round_index,
    )
    result = await asyncio.to_thread(
        improver.improve, base.state.plan, _now(planner, base), config, cancel=cancel
    )
    log.info("improver.round", status=result.status, seconds=round(result.seconds, 2))
    return await offer(planner, base, result)


async def offer(planner: Planner, base: Staged, result: improver.ImproveResult) -> bool:
    """Offer `result`, computed on `base`, carried over the inputs logged since; True if the
    planner adopted it."""
    if result.plan is None:
        return False
    carry = _Carry(planner, base, result)
    for _ in range(CATCH_UP_TRIES):
        target = committed(planner)
        now = _now(planner, target)
        offer = await carry.onto(target, now)
        if await planner.adopt(offer, now):
            log.info("improver.adopted", status=offer.status)
            return True
        if committed(planner).input_seq == target.input_seq:
            found = offer.score.weighted_tardiness if offer.score else None
            current = score(target.state.plan).weighted_tardiness
            log.info("improver.rejected", status=offer.status, found=found, current=current)
            return False
    log.info("improver.outrun", tries=CATCH_UP_TRIES)
    return False


def committed(planner: Planner) -> Staged:
    """The planner's committed state, a consistent (state, input_seq) pair to hold on to."""
    # Never changed again: each transaction works on a clone and replaces it on commit.
    assert planner.committed is not None, "planner not loaded"
    return planner.committed


def _now(planner: Planner, staged: Staged) -> int:
    return max(staged.state.now, staged.state.axis.minute(planner.sch.clock()))


class _Carry:
    """An improver result with the inputs logged after its base replayed onto it."""

    def __init__(self, planner: Planner, base: Staged, result: improver.ImproveResult) -> None:
        assert result.plan is not None
        self.planner = planner
        self.result = result
        self.state = base.state.clone()
        self.state.plan = result.plan
        self.seq = base.input_seq
        self.replayed = 0

    async def onto(self, target: Staged, now: int) -> improver.ImproveResult:
        """The result as an offer against `target`'s plan."""
        if target.input_seq > self.seq:
            async with self.planner.sch.uow.transaction() as conn:
                rows = await plan_store.tail(conn, self.planner.plan_id, self.seq)
            for row in rows:
                if row.seq > target.input_seq:
                    break
                _replay(self.state, row)
                self.replayed += 1
                # One input at a time (milliseconds each), so the consumer is not held up.
                await asyncio.sleep(0)
            self.seq = target.input_seq
        if not self.replayed:
            return self.result
        plan = target.state.plan
        return improver.carried_over(plan, self.result, self.state.plan, now, self.replayed)


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
            started = time.monotonic()
            try:
                adopted = await improve_once(planner, round_index, cancel=cancel)
            except Exception:
                log.exception("improver.failed")
                adopted = False
            round_index += 1
            rest = rest_after(time.monotonic() - started, planner.sch.settings.improver_max_share)
            if rest > 0:
                await _wait(asyncio.Event(), stop, rest)
            # After an adoption, try again from the improved plan; otherwise wait for news.
            tried = -1 if adopted else revision
    finally:
        cancel.set()
        watcher.cancel()


def rest_after(round_seconds: float, max_share: float) -> float:
    """Seconds to rest after a round so the improver searches at most `max_share` of the time.

    Why: under a steady stream of events every round sees a new revision, and back-to-back
    rounds would take a whole core from the consumers and APIs on a small machine.
    """
    return round_seconds * (1 / max_share - 1)


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
