"""The shop floor for bench/load_pipeline.py: work centers, open orders, and line terminals.

Orders go in through the orders API as the ERP's; each center's terminal (its own
`terminal:<work_center>` token) starts and completes jobs through the scheduler API, each post
under an Idempotency-Key. A job is handed to a terminal only when its predecessor is complete
and its center runs nothing, so every post is one the scheduler must accept.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from scheduler_service import GROUPS, SHIFTS

from mes_events.auth import ADMIN, ORDERS_WRITE, terminal_scope
from mes_events.testing.auth import bearer
from mes_orders.testing import order_body

CENTERS_PER_GROUP = 3
# The sample order's inspection plan, on every order's last operation: quality opens an
# inspection when that job completes, as on a real line.
INSPECTION = order_body("x")["routing"][1]["inspection"]
NAN = float("nan")


@dataclass
class Completion:
    """One completion the load asked for, and how the terminal's two posts went."""

    scheduled: float
    job_id: str = ""
    center: str = ""
    start_sent: float = NAN
    start_ms: float = NAN
    complete_sent: float = NAN
    complete_ms: float = NAN
    ok: bool = False


@dataclass(frozen=True)
class Failure:
    """A post the scheduler refused: what was sent and what came back."""

    endpoint: str
    payload: dict[str, Any]
    status: int
    body: str


def new_order(rng: random.Random, ref: str) -> dict[str, Any]:
    """An order of 1-3 operations on different groups, without materials."""
    groups = rng.sample(GROUPS, rng.randint(1, 3))
    routing: list[dict[str, Any]] = [
        {
            "seq": 10 * (k + 1),
            "operation": f"op{k}",
            "work_center_group": group,
            "setup_minutes": rng.randint(0, 30),
            "run_minutes_per_unit": str(round(rng.uniform(0.2, 3.0), 2)),
        }
        for k, group in enumerate(groups)
    ]
    routing[-1]["inspection"] = INSPECTION
    due = datetime.now(UTC) + timedelta(days=rng.uniform(1, 20))
    return order_body(
        ref,
        quantity=rng.randint(5, 60),
        priority=rng.randint(1, 5),
        due_date=due.isoformat(),
        routing=routing,
        materials=[],
    )


@dataclass
class Floor:
    """Open jobs, free centers, and the clients the ERP and the terminals post with."""

    orders: httpx.AsyncClient
    scheduler: httpx.AsyncClient
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    ready: dict[str, deque[str]] = field(default_factory=dict)  # group -> startable jobs
    after: dict[str, tuple[str, str]] = field(default_factory=dict)  # job -> next job, group
    quantity: dict[str, int] = field(default_factory=dict)
    free: dict[str, list[str]] = field(default_factory=dict)  # group -> idle centers
    open_jobs: int = 0
    failures: list[Failure] = field(default_factory=list)
    retries: int = 0
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _serial: itertools.count[int] = field(default_factory=itertools.count)
    _turn: itertools.count[int] = field(default_factory=itertools.count)

    async def register_centers(self) -> None:
        """30 centers (10 groups x 3, two shifts), registered by the manager."""
        for g in GROUPS:
            self.ready.setdefault(g, deque())
            for i in range(CENTERS_PER_GROUP):
                center = f"{g}W{i}"
                body = {
                    "id": center,
                    "group": g,
                    "calendar": SHIFTS,
                    "efficiency": str(random.Random(i).choice([0.8, 1, 1.2])),
                }
                r = await self.scheduler.post("/work-centers", json=body, headers=bearer(ADMIN))
                if r.status_code != 201:
                    raise RuntimeError(f"POST /work-centers {center}: {r.status_code} {r.text}")
                self.free.setdefault(g, []).append(center)

    async def add_orders(self, count: int, concurrency: int = 8) -> list[str]:
        """Post `count` new orders as the ERP; their ids."""
        ids: list[str] = []
        pending = iter(range(count))

        async def erp() -> None:
            for _ in pending:
                body = new_order(self.rng, f"LOAD-{next(self._serial):06d}")
                r = await self.orders.post("/orders", json=body, headers=bearer(ORDERS_WRITE))
                if r.status_code != 201:
                    raise RuntimeError(f"POST /orders: {r.status_code} {r.text}")
                ids.append(self._open(r.json()["order_id"], body))

        await asyncio.gather(*(erp() for _ in range(concurrency)))
        return ids

    def _open(self, order_id: str, body: dict[str, Any]) -> str:
        steps = [(f"{order_id}-{op['seq']}", op["work_center_group"]) for op in body["routing"]]
        for (job, _), nxt in zip(steps, steps[1:], strict=False):
            self.after[job] = nxt
        for job, _ in steps:
            self.quantity[job] = body["quantity"]
        self.ready[steps[0][1]].append(steps[0][0])
        self.open_jobs += len(steps)
        return order_id

    def _pair(self) -> tuple[str, str] | None:
        first = next(self._turn) % len(GROUPS)
        for g in GROUPS[first:] + GROUPS[:first]:
            if self.ready[g] and self.free[g]:
                return self.ready[g].popleft(), self.free[g].pop()
        return None

    async def take(self) -> tuple[str, str]:
        """A startable job and an idle center of its group (waits for one)."""
        async with self.changed:
            pair = self._pair()
            while pair is None:
                await self.changed.wait()
                pair = self._pair()
            return pair

    async def release(self, job: str, center: str, *, completed: bool, idle: bool) -> None:
        """The center is idle again (unless a job is stuck on it); the next job is ready."""
        async with self.changed:
            if idle:
                self.free[center.split("W")[0]].append(center)
            if completed:
                self.open_jobs -= 1
                nxt = self.after.pop(job, None)
                if nxt is not None:
                    self.ready[nxt[1]].append(nxt[0])
            self.changed.notify_all()

    async def complete_one(self, c: Completion) -> None:
        """A terminal starts and completes one job on its center."""
        c.job_id, c.center = await self.take()
        terminal = bearer(terminal_scope(c.center), subject=f"terminal-{c.center}")
        start = {
            "operator": f"op-{c.center}",
            "terminal": f"T-{c.center}",
            "work_center_id": c.center,
        }
        c.start_sent, status, c.start_ms = await self._post(
            f"/jobs/{c.job_id}/start", start, terminal | {"Idempotency-Key": f"{c.job_id}-s"}
        )
        started = status == 200
        if started:
            done = {"operator": f"op-{c.center}", "good_quantity": self.quantity[c.job_id]}
            key = {"Idempotency-Key": f"{c.job_id}-c"}
            c.complete_sent, status, c.complete_ms = await self._post(
                f"/jobs/{c.job_id}/complete", done, terminal | key
            )
            c.ok = status == 200
        # A job started but not completed keeps its center busy for good.
        await self.release(c.job_id, c.center, completed=c.ok, idle=c.ok or not started)

    async def _post(
        self, path: str, body: dict[str, Any], headers: dict[str, str]
    ) -> tuple[float, int, float]:
        sent = time.perf_counter()
        status, text = 0, ""
        # A terminal posts again under the same key when the answer got lost (here mostly a
        # keep-alive connection the server closed as it was reused); the key makes it safe.
        for _ in range(2):
            try:
                r = await self.scheduler.post(path, json=body, headers=headers)
                status, text = r.status_code, r.text
                break
            except httpx.TransportError as exc:
                status, text = 0, repr(exc)
                self.retries += 1
        took = (time.perf_counter() - sent) * 1000
        if status != 200:
            self.failures.append(Failure(f"POST {path}", body, status, text[:300]))
        return sent, status, took


async def run_step(
    floor: Floor, rate: float, seconds: float, completions: list[Completion]
) -> tuple[list[Completion], float]:
    """Open loop: one completion every 1/rate s for `seconds`, whatever the answers; fills
    `completions` as it goes and returns them with the time the load began."""
    count = max(1, round(rate * seconds))
    began = time.perf_counter() + 0.05
    tasks: list[asyncio.Task[None]] = []
    for i in range(count):
        at = began + i / rate
        await asyncio.sleep(max(0.0, at - time.perf_counter()))
        completions.append(Completion(scheduled=at))
        tasks.append(asyncio.create_task(floor.complete_one(completions[-1])))
    await asyncio.wait(tasks, timeout=seconds + 120)
    for task in tasks:
        task.cancel()
    return completions, began
