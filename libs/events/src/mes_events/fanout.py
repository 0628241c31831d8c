"""One tail of the store per process, fanned out to many live readers with bounded buffers.

The SSE streams use it: a reader first catches up from the store itself, then joins the tail.
A reader that cannot keep up is dropped by the tail (its buffer overflowed) instead of
holding the tail, or the service, back; it resumes from the store on its next connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from mes_events.envelope import EventEnvelope
from mes_events.store import START, Cursor, EventStore
from mes_events.supervise import run_until_stopped
from mes_events.wakeup import listen_for_appends, wait_for_wake

Item = tuple[Cursor, EventEnvelope]

# The cursor `back` events before the end of what is safely readable now. Only rows of
# transactions below the snapshot's xmin count: every later commit sorts after the result,
# so starting there can never skip one (docs/decisions.md, the (tx_id, position) cursor).
_BEFORE_HEAD = text(
    "SELECT tx_id, position FROM stored_event"
    " WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot())"
    " ORDER BY tx_id DESC, position DESC OFFSET :back LIMIT 1"
)


async def cursor_before_head(conn: AsyncConnection, back: int = 0) -> Cursor:
    """The cursor after which the last `back` safely readable events follow (0: the head)."""
    row = (await conn.execute(_BEFORE_HEAD, {"back": back})).first()
    return START if row is None else Cursor(int(row[0]), int(row[1]))


class Overflowed(Exception):
    """The reader fell more than its buffer behind the tail and was dropped from it."""


@dataclass(eq=False)
class Reader:
    """One live reader's bounded buffer of (cursor, event) items, filled by the tail."""

    limit: int
    _items: deque[Item] = field(default_factory=deque, init=False)
    _ready: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    overflowed: bool = field(default=False, init=False)
    closed: bool = field(default=False, init=False)

    def offer(self, items: list[Item]) -> bool:
        """Buffer `items` without waiting; False (and overflowed) when they do not fit.

        One page always fits an empty buffer, so a reader that keeps up is never cut off;
        memory stays below the larger of the limit and a page.
        """
        if self._items and len(self._items) + len(items) > self.limit:
            self.overflowed = True
            self._items.clear()
            self._ready.set()
            return False
        self._items.extend(items)
        self._ready.set()
        return True

    def close(self) -> None:
        self.closed = True
        self._ready.set()

    async def take(self) -> list[Item]:
        """Everything buffered, waiting for at least one item; [] once closed."""
        while not self._items and not self.overflowed and not self.closed:
            self._ready.clear()
            await self._ready.wait()
        if self.overflowed:
            raise Overflowed
        items = list(self._items)
        self._items.clear()
        return items


@dataclass
class StoreTail:
    """Reads the store once for every live reader of this process, woken on appends."""

    store: EventStore
    engine: AsyncEngine
    buffer_size: int = 1_000
    page_size: int = 500
    idle_poll_s: float = 0.5
    held_back_poll_s: float = 0.002
    cursor: Cursor | None = field(default=None, init=False)
    _readers: set[Reader] = field(default_factory=set, init=False)
    _started: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)

    async def position(self) -> Cursor:
        """Where the tail stands: the cursor after the last event it handed to readers."""
        if self._stop.is_set():
            return self.cursor or START
        if self._task is None:
            self._task = asyncio.create_task(
                run_until_stopped("event-stream-tail", self._session, self._stop)
            )
        await self._started.wait()
        assert self.cursor is not None
        return self.cursor

    @property
    def readers(self) -> int:
        """How many live readers the tail hands events to."""
        return len(self._readers)

    async def follow(self, after: Cursor) -> AsyncIterator[list[Item]]:
        """Batches of the events after `after`: from the store, then live; Overflowed ends it."""
        cursor = after
        while not self._stop.is_set() and cursor < await self.position():
            async with self.engine.connect() as conn:
                page = await self.store.read_all(conn, cursor, limit=self.page_size)
            if page.events:
                yield list(zip(page.cursors, page.events, strict=True))
            elif page.held_back:
                await asyncio.sleep(self.held_back_poll_s)
            else:
                break  # nothing stored between here and the tail
            cursor = page.next
        if self._stop.is_set():
            return
        # No await between the check above and joining: the tail hands this reader every
        # event after its cursor, which is at or before ours (later items are deduplicated).
        reader = Reader(self.buffer_size)
        self._readers.add(reader)
        try:
            while not reader.closed:
                fresh = [item for item in await reader.take() if item[0] > cursor]
                if fresh:
                    cursor = fresh[-1][0]
                    yield fresh
        finally:
            self._readers.discard(reader)

    async def close(self) -> None:
        """Stop tailing and end every live reader."""
        self._stop.set()
        self._wake.set()
        for reader in self._readers:
            reader.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _session(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await listen_for_appends(conn, self._wake)
            if self.cursor is None:
                self.cursor = await cursor_before_head(conn)
                self._started.set()
            while not self._stop.is_set():
                self._wake.clear()
                page = await self.store.read_all(conn, self.cursor, limit=self.page_size)
                if page.events:
                    self._hand_out(list(zip(page.cursors, page.events, strict=True)))
                    self.cursor = page.next
                    continue
                if page.held_back:
                    await asyncio.sleep(self.held_back_poll_s)
                    continue
                await wait_for_wake(self._wake, self._stop, self.idle_poll_s)

    def _hand_out(self, items: list[Item]) -> None:
        for reader in list(self._readers):
            if not reader.offer(items):
                # Dropped, not waited for: one slow reader must not hold the others back.
                self._readers.discard(reader)
