"""How tailing readers (relay, projections) learn that the store has new events."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.migration import NOTIFY_CHANNEL


async def listen_for_appends(conn: AsyncConnection, wake: asyncio.Event) -> None:
    """Set `wake` whenever a writer notifies after committing events (conn must stay open)."""
    driver = (await conn.get_raw_connection()).driver_connection
    assert driver is not None
    await driver.add_listener(NOTIFY_CHANNEL, lambda *_: wake.set())


async def wait_for_wake(wake: asyncio.Event, stop: asyncio.Event, timeout: float) -> None:
    """Return on a notification, on `stop`, or after `timeout` (the poll that covers a lost one)."""
    waiter = asyncio.ensure_future(wake.wait())
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({waiter, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    stopper.cancel()
