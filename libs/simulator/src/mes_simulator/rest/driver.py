"""The outside world over REST: ERP, purchasing, maintenance, line terminals and inspectors.

The scenario's events happen at their plant times on the shared warped clock. Operators of
idle work centers start the job their dispatch list says to start and complete it after
the drawn duration (longer when the center breaks down meanwhile); inspectors measure what
quality lists as open; the quality engineer decides each nonconformance. Random outcomes
come from the same per-operation draws as the in-process simulation.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import signal
from collections.abc import Mapping
from typing import Any

import httpx

from mes_scheduler.planning.calendar import Availability
from mes_simulator.rest import bodies, erp, inspectors, terminals
from mes_simulator.rest.api import Api, ApiError, terminal
from mes_simulator.rest.floor import Center, Context, Floor, say
from mes_simulator.rest.report import Report, report
from mes_simulator.rest.tokens import Tokens
from mes_simulator.scenario import Breakdown, Scenario, ScenarioSettings, generate
from mes_simulator.stack import remember
from mes_simulator.warp import WarpedClock

RECEIPT, ARRIVAL, DOWN, UP = range(4)


class Driver:
    """Plays `scenario` against the services at the pace of `clock`."""

    def __init__(self, api: Api, scenario: Scenario, clock: WarpedClock, run_id: str) -> None:
        centers = {c.id: Center(c.id, c.group, c.efficiency) for c in scenario.centers}
        calendar = Availability(scenario.calendar)
        self.ctx = Context(api, scenario, clock, run_id, Floor(centers=centers), calendar)
        self.counter = itertools.count()
        self.agenda: list[tuple[float, int, int, Any]] = []
        for r in scenario.receipts:
            self._at(r.at, RECEIPT, r)
        for o in scenario.orders:
            self._at(o.arrival, ARRIVAL, o)
        for b in scenario.breakdowns:
            self._at(b.at, DOWN, b)

    def _at(self, minute: float, kind: int, payload: Any) -> None:
        heapq.heappush(self.agenda, (minute, kind, next(self.counter), payload))

    async def setup(self) -> None:
        """Work centers and materials; registering the same again is harmless (200)."""
        ctx = self.ctx
        for c in ctx.scenario.centers if ctx.has("scheduler") else ():
            body = bodies.work_center_body(c, ctx.scenario.calendar)
            await ctx.api.post("scheduler", "/work-centers", body, what="register work center")
        for m in bodies.material_bodies():
            await ctx.api.post("inventory", "/materials", m, what="register material")

    async def run(self, stop: asyncio.Event, *, drain_minutes: float) -> None:
        """Until every order is done, the drain time is over, or `stop` is set."""
        ctx = self.ctx
        limit = ctx.scenario.arrivals_end + drain_minutes
        last_check = -math.inf
        while not stop.is_set():
            now = ctx.clock.minutes()
            try:
                await self._agenda(now)
                await terminals.completions(ctx, now)
                await terminals.operators(ctx, now)
                await inspectors.quality(ctx)
                if now - last_check >= 10:
                    last_check = now
                    remember(ctx.clock)
                    done = await erp.review(ctx, now)
                    if done and not any(kind == ARRIVAL for _, kind, _, _ in self.agenda):
                        return
            except httpx.TransportError as e:  # a service restarting: carry on, say so once
                ctx.note_once(f"a service did not answer, carrying on: {e!r}")
            if now > limit:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._wait(now))

    def _wait(self, now: float) -> float:
        """Wall seconds to the next thing due, between 20 ms and half a second."""
        jobs = [c.job.end for c in self.ctx.floor.centers.values() if c.job is not None]
        nxt = min([now + 1, *(a[0] for a in self.agenda[:1]), *jobs])
        return max(0.02, min(0.5, self.ctx.clock.wall_seconds_until(nxt)))

    async def _agenda(self, now: float) -> None:
        while self.agenda and self.agenda[0][0] <= now:
            at, kind, _, payload = heapq.heappop(self.agenda)
            try:
                if kind == RECEIPT:
                    await erp.post_receipt(self.ctx, payload)
                elif kind == ARRIVAL:
                    await erp.post_order(self.ctx, payload)
                elif kind == DOWN:
                    await self._down(payload, at)
                else:
                    await self._up(payload, at)
            except ApiError as e:
                say(f"refused: {e}")

    async def _down(self, b: Breakdown, at: float) -> None:
        """Maintenance reports the breakdown with its estimate; the repair comes later."""
        ctx = self.ctx
        self._at(at + b.actual, UP, b.center)
        center = ctx.floor.centers[b.center]
        center.up = False
        terminals.pause(ctx, center, at)
        if ctx.has("scheduler"):
            body = {"reason": "breakdown", "expected_minutes": b.expected}
            # The center's own terminal reports it (the scheduler also takes a manager's).
            await ctx.api.post("scheduler", f"/work-centers/{b.center}/down", body,
                               what="report down", scope=terminal(b.center))  # fmt: skip

    async def _up(self, center_id: str, at: float) -> None:
        ctx = self.ctx
        center = ctx.floor.centers[center_id]
        center.up = True
        terminals.resume(ctx, center, at)
        if ctx.has("scheduler"):
            await ctx.api.post("scheduler", f"/work-centers/{center_id}/up", what="report up",
                               scope=terminal(center_id))  # fmt: skip


async def play(
    settings: ScenarioSettings,
    clients: Mapping[str, httpx.AsyncClient],
    clock: WarpedClock,
    stop: asyncio.Event,
    *,
    drain_hours: float = 48.0,
    ready_timeout: float = 120.0,
    tokens: Tokens | None = None,
) -> Report | None:
    """Play the scenario of `settings` through `clients` (one per service) until done or stop."""
    scenario = generate(settings)
    say(
        f"scenario seed={settings.seed}: {len(scenario.orders)} orders over {settings.days:g} "
        f"days; plant time runs x{clock.speed:g} from {clock.epoch.isoformat()}"
    )
    api = Api(clients, tokens or Tokens.from_env())
    missing = await api.wait_ready(sorted(clients), ready_timeout)
    if missing:
        say(f"not ready after {ready_timeout:g}s: {', '.join(missing)}")
        return None
    driver = Driver(api, scenario, clock, clock.epoch.strftime("%Y%m%d%H%M"))
    await driver.setup()
    await driver.run(stop, drain_minutes=drain_hours * 60)
    remember(clock)
    api.retries = 0  # on Ctrl-C the services may be stopping too: answer with what we have
    return await report(api, driver.ctx.floor, scenario, clock.minutes())


async def drive(
    settings: ScenarioSettings, urls: dict[str, str], clock: WarpedClock, *, drain_hours: float
) -> int:
    """`mes simulate` against running services; prints the summary at the end or on Ctrl-C."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    clients = {name: httpx.AsyncClient(base_url=url, timeout=30) for name, url in urls.items()}
    try:
        result = await play(settings, clients, clock, stop, drain_hours=drain_hours)
    finally:
        for client in clients.values():
            await client.aclose()
    if result is None:
        return 1
    for line in result.lines():
        say(line)
    return 0
