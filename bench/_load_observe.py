"""Where bench/load_pipeline.py sees the system's answers: Kafka, and the dashboard's stream.

Each watcher notes, in this process's `perf_counter` time, when it first saw the ScheduleRevised
caused by each event, and which job each JobCompleted event belongs to (its subject is
`job-<job id>`), so a completion posted at time t can be matched with what it caused.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from mes_events.kafka import make_consumer
from mes_events.settings import KafkaSettings
from mes_events.testing.sse_client import read_messages

REVISED = "scheduler.ScheduleRevised"
COMPLETED = "scheduler.JobCompleted"
PROJECTED = "scheduler.OrderProjected"
SERVICES = 4


@dataclass
class Sightings:
    """What one channel has shown so far."""

    revised_at: dict[str, float] = field(default_factory=dict)  # caused_by -> first seen
    completion_of: dict[str, str] = field(default_factory=dict)  # JobCompleted id -> job id
    completed_at: dict[str, float] = field(default_factory=dict)  # job id -> JobCompleted seen
    messages: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    last_message_at: float = 0.0

    def note(self, event_type: str, event_id: str, subject: str, cause: str | None) -> None:
        """One event seen now; `cause` is a ScheduleRevised's caused_by."""
        now = time.perf_counter()
        self.messages += 1
        self.by_type[event_type] += 1
        self.last_message_at = now
        if event_type == REVISED:
            if cause:
                self.revised_at.setdefault(cause, now)
        elif event_type == COMPLETED:
            job = subject.removeprefix("job-")
            self.completion_of[event_id] = job
            self.completed_at.setdefault(job, now)

    def revision_of_job(self) -> dict[str, float]:
        """Job id -> when the ScheduleRevised its completion caused was first seen."""
        return {
            job: self.revised_at[event_id]
            for event_id, job in self.completion_of.items()
            if event_id in self.revised_at
        }


class KafkaWatch:
    """A consumer of every service topic (its own group), as any downstream reader would be."""

    def __init__(self, kafka: KafkaSettings, *topics: str) -> None:
        self.consumer = make_consumer(kafka, f"bench-load-{uuid.uuid4().hex[:6]}", *topics)
        self.seen = Sightings()
        self.projected: set[str] = set()  # orders the scheduler has planned
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        while not self.consumer.assignment():  # the group join takes seconds on Tansu
            await self.consumer.getmany(timeout_ms=100)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            for records in (await self.consumer.getmany(timeout_ms=100)).values():
                for r in records:
                    headers = {k: v.decode() for k, v in r.headers}
                    event_type = headers.get("ce_type", "")
                    data = orjson.loads(r.value) if event_type in (REVISED, PROJECTED) else {}
                    cause = data.get("caused_by")
                    self.seen.note(
                        event_type,
                        headers.get("ce_id", ""),
                        headers.get("ce_subject", ""),
                        None if cause is None else str(cause),
                    )
                    if event_type == PROJECTED:
                        self.projected.add(str(data["order_id"]))

    async def quiet(self, seconds: float, *, limit: float) -> float:
        """Wait until no message arrived for `seconds` (at most `limit`); how long it took."""
        began = time.perf_counter()
        while time.perf_counter() - began < limit:
            if time.perf_counter() - self.seen.last_message_at >= seconds:
                break
            await asyncio.sleep(0.1)
        return time.perf_counter() - began

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.consumer.stop()


class DashboardWatch:
    """Follows the dashboard's merged stream `GET /api/events` as the page does (resuming)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.seen = Sightings()
        self.available: set[str] = set()
        self.connected = asyncio.Event()
        self.reconnects = 0
        self.task: asyncio.Task[None] | None = None

    async def start(self, timeout: float = 60) -> None:
        self.task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.connected.wait(), timeout)

    async def _run(self) -> None:
        last_id: str | None = None
        async with httpx.AsyncClient(base_url=self.base, timeout=None) as client:
            while True:
                headers = {"Last-Event-ID": last_id} if last_id else {}
                try:
                    async with client.stream("GET", "/api/events", headers=headers) as response:
                        async for m in read_messages(response):
                            last_id = m.id or last_id
                            if m.data is not None:
                                self._message(m.event, m.json())
                except httpx.HTTPError:
                    pass
                self.reconnects += 1
                await asyncio.sleep(0.2)

    def _message(self, event: str, body: dict[str, Any]) -> None:
        if event == "status":
            if body.get("available"):
                self.available.add(str(body["service"]))
            if len(self.available) >= SERVICES:
                self.connected.set()
            return
        data = body.get("data")
        cause = data.get("caused_by") if isinstance(data, dict) else None
        self.seen.note(
            str(body.get("type", "")),
            str(body.get("id", "")),
            str(body.get("subject", "")),
            None if cause is None else str(cause),
        )

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
