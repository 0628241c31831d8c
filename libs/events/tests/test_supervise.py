"""Sessions restart after failures, at once when asked to, and stop only when told to."""

from __future__ import annotations

import asyncio

from mes_events.supervise import RestartNow, run_until_stopped


async def test_a_stray_cancellation_restarts_the_session_and_a_real_one_stops_it() -> None:
    # aiokafka's consumer.stop() can re-raise a CancelledError of its own fetch task.
    stop, calls = asyncio.Event(), 0

    async def session() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise asyncio.CancelledError()
        if calls == 2:
            raise RestartNow("broker replaced")
        await asyncio.Event().wait()  # runs until cancelled from outside

    task = asyncio.create_task(run_until_stopped("t", session, stop, backoff_s=0.01))
    async with asyncio.timeout(5):
        while calls < 3:
            await asyncio.sleep(0.01)
    assert not task.done()
    task.cancel()
    async with asyncio.timeout(5):
        while not task.done():
            await asyncio.sleep(0.01)
    assert task.cancelled()
