"""The outside world over REST: ERP, purchasing, line terminals, inspectors and maintenance.

The scenario's events happen at their plant times on the shared warped clock; operators
of idle work centers start the job their dispatch list says to start, and complete it
after the drawn duration (longer when the center breaks down meanwhile); inspectors
measure what quality lists as open; the quality engineer decides each nonconformance.
Random outcomes come from the same per-operation draws as the in-process simulation.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.model import Operation, run_minutes
from mes_simulator.catalog import Characteristic, Step
from mes_simulator.outcomes import Outcome, measurements, outcome
from mes_simulator.rest import bodies
from mes_simulator.rest.api import ERP, QUALITY, Api, ApiError, terminal
from mes_simulator.rest.report import Report, all_orders, report
from mes_simulator.rest.tokens import Tokens
from mes_simulator.scenario import (
    Breakdown,
    OrderSpec,
    Receipt,
    Scenario,
    ScenarioSettings,
    generate,
)
from mes_simulator.warp import WarpedClock

RECEIPT, ARRIVAL, DOWN, UP = range(4)
SHORT_GRACE = 60  # plant minutes a short order may wait for a make-up before the ERP accepts it


def say(message: str) -> None:
    print(f"[simulator] {message}", flush=True)  # noqa: T201 - console program


@dataclass
class Job:
    """A job running on a center as the operator sees it."""

    job_id: str
    order_id: str
    order: OrderSpec | None
    seq: int
    pieces: int
    outcome: Outcome
    work: int
    remaining: float
    since: float
    end: float
    busy: float = 0.0
    ideal: float = 0.0


@dataclass
class Center:
    id: str
    group: str
    efficiency: float
    up: bool = True
    job: Job | None = None


@dataclass
class Floor:
    """What the driver knows: its orders by the service's id, centers, what it measured."""

    orders: dict[str, OrderSpec] = field(default_factory=dict)
    pieces: dict[str, int] = field(default_factory=dict)  # order -> good pieces flowing
    centers: dict[str, Center] = field(default_factory=dict)
    inspected: set[str] = field(default_factory=set)
    decided: set[str] = field(default_factory=set)
    short_since: dict[str, float] = field(default_factory=dict)
    done_jobs: set[str] = field(default_factory=set)
    busy: float = 0.0
    ideal: float = 0.0
    good: int = 0
    made: int = 0
    scrap: int = 0
    jobs_done: int = 0


class Driver:
    """Plays `scenario` against the services at `clock`'s pace."""

    def __init__(self, api: Api, scenario: Scenario, clock: WarpedClock, run_id: str) -> None:
        self.api, self.scenario, self.clock, self.run_id = api, scenario, clock, run_id
        self.calendar = Availability(scenario.calendar)
        self.floor = Floor(
            centers={c.id: Center(c.id, c.group, c.efficiency) for c in scenario.centers}
        )
        self.agenda: list[tuple[float, int, int, Any]] = []
        counter = itertools.count()
        for r in scenario.receipts:
            heapq.heappush(self.agenda, (r.at, RECEIPT, next(counter), r))
        for o in scenario.orders:
            heapq.heappush(self.agenda, (o.arrival, ARRIVAL, next(counter), o))
        for b in scenario.breakdowns:
            heapq.heappush(self.agenda, (b.at, DOWN, next(counter), b))
        self.counter = counter
        self.posted = 0
        self.operators = True
        self.notes: set[str] = set()

    def note_once(self, message: str) -> None:
        if message not in self.notes:
            self.notes.add(message)
            say(message)

    def has(self, service: str) -> bool:
        return service in self.api.clients

    async def setup(self) -> None:
        """Work centers and materials; registering the same again is harmless (200)."""
        for c in self.scenario.centers if self.has("scheduler") else ():
            body = bodies.work_center_body(c, self.scenario.calendar)
            await self.api.post("scheduler", "/work-centers", body, what="register work center")
        for m in bodies.material_bodies():
            await self.api.post("inventory", "/materials", m, what="register material")

    async def run(self, stop: asyncio.Event, *, drain_minutes: float) -> None:
        """Until every order is done, the drain time is over, or `stop` is set."""
        limit = self.scenario.arrivals_end + drain_minutes
        last_check = -math.inf
        while not stop.is_set():
            now = self.clock.minutes()
            await self._agenda(now)
            await self._completions(now)
            await self._operators(now)
            await self._quality()
            if now > limit:
                return
            arrived = not any(kind == ARRIVAL for _, kind, _, _ in self.agenda)
            if arrived and now - last_check >= 10:
                last_check = now
                if await self._all_done(now):
                    return
            nxt = min(
                [now + 1, *(a[0] for a in self.agenda[:1])]
                + [c.job.end for c in self.floor.centers.values() if c.job]
            )
            wait = max(0.02, min(0.5, self.clock.wall_seconds_until(nxt)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)

    async def _agenda(self, now: float) -> None:
        while self.agenda and self.agenda[0][0] <= now:
            at, kind, _, payload = heapq.heappop(self.agenda)
            try:
                if kind == RECEIPT:
                    await self._receive(payload)
                elif kind == ARRIVAL:
                    await self._arrive(payload)
                elif kind == DOWN:
                    await self._down(payload, at)
                else:
                    await self._up(payload, at)
            except ApiError as e:
                say(f"refused: {e}")

    async def _arrive(self, order: OrderSpec) -> None:
        body = bodies.order_body(order, self.run_id, self.clock.at(order.due))
        created = await self.api.post("orders", "/orders", body, what="post order", scope=ERP)
        self.floor.orders[created["order_id"]] = order
        self.floor.pieces[created["order_id"]] = order.quantity
        self.posted += 1

    async def _receive(self, receipt: Receipt) -> None:
        body = bodies.receipt_body(receipt, self.run_id, self.clock.at(receipt.at))
        await self.api.post(
            "inventory", "/receipts", body, key=body["lot_id"], what="post receipt", scope=ERP
        )

    async def _down(self, b: Breakdown, at: float) -> None:
        center = self.floor.centers[b.center]
        body = {"reason": "breakdown", "expected_minutes": b.expected}
        if self.has("scheduler"):
            path = f"/work-centers/{b.center}/down"
            await self.api.post("scheduler", path, body, what="report down")
        center.up = False
        if center.job is not None:
            job = center.job
            worked = self.calendar.working_minutes(int(job.since), int(at))
            job.remaining, job.busy, job.end = job.remaining - worked, job.busy + worked, math.inf
        heapq.heappush(self.agenda, (at + b.actual, UP, next(self.counter), b.center))

    async def _up(self, center_id: str, at: float) -> None:
        if self.has("scheduler"):
            await self.api.post("scheduler", f"/work-centers/{center_id}/up", what="report up")
        center = self.floor.centers[center_id]
        center.up = True
        if center.job is not None:
            center.job.since = at
            center.job.end = self.calendar.finish(int(at), max(0, math.ceil(center.job.remaining)))

    # --- line terminals ---------------------------------------------------------------

    async def _operators(self, now: float) -> None:
        if not self.has("scheduler") or not self.operators:
            return
        for center in self.floor.centers.values():
            if center.job is not None or not center.up:
                continue
            if self.calendar.next_working(int(now)) > now:
                continue
            try:
                items = await self.api.get("scheduler", f"/work-centers/{center.id}/dispatch-list")
            except ApiError as e:
                self.note_once(f"dispatch list unavailable: {e}")
                continue
            for item in items:
                # A list read before our last completion reached the plan may offer that job
                # again; its start key would only replay the old start.
                if item["job_id"] in self.floor.done_jobs or item.get("action") != "start":
                    continue
                if await self._start(center, item, now):
                    break

    async def _start(self, center: Center, item: dict[str, Any], now: float) -> bool:
        job_id = item["job_id"]
        body = {
            "operator": f"OP-{center.id}",
            "terminal": f"T-{center.id}",
            "work_center_id": center.id,
        }
        try:
            await self.api.post(
                "scheduler",
                f"/jobs/{job_id}/start",
                body,
                key=f"{self.run_id}-{job_id}-start",
                what="start job",
                scope=terminal(center.id),
            )
        except ApiError as e:
            if e.status == 404 and "/jobs/" in str(e):  # the scheduler offers no job execution
                self.note_once(f"operators stop: the scheduler cannot start jobs ({e})")
                self.operators = False
            elif e.status != 409:  # 409: not startable after all (another terminal was quicker)
                self.note_once(f"cannot start a job: {e}")
            return False
        center.job = self._job(center, item, now)
        return True

    def _job(self, center: Center, item: dict[str, Any], now: float) -> Job:
        order = self.floor.orders.get(item["order_id"])
        seq = int(item["seq"])
        step = _step(order, seq)
        # A rework job works on the nonconforming pieces only; the others on what flows.
        pieces = (
            int(item["quantity"])
            if step is None
            else self.floor.pieces.get(item["order_id"], int(item["quantity"]))
        )
        key = f"{order.id if order else item['order_id']}.{seq}"
        drawn = outcome(
            self.scenario.settings, key, pieces, inspected=bool(step and step.inspection)
        )
        if step is not None:
            standard = step.setup + run_minutes_of(step, pieces, center.efficiency)
            ideal = step.per_unit * pieces / center.efficiency
        else:  # rework or a job of an order from another run: the plan's duration
            planned = _minutes_between(item["start_at"], item["end_at"])
            standard, ideal = max(1, planned), float(max(1, planned))
        work = max(1, round(standard * drawn.factor))
        return Job(
            item["job_id"],
            item["order_id"],
            order,
            seq,
            pieces,
            drawn,
            work,
            work,
            now,
            self.calendar.finish(int(now), work),
            ideal=ideal,
        )

    async def _completions(self, now: float) -> None:
        for center in self.floor.centers.values():
            job = center.job
            if job is None or job.end > now:
                continue
            job.busy += self.calendar.working_minutes(int(job.since), int(now))
            scrap = min(job.outcome.scrap, job.pieces)
            body = {
                "good_quantity": job.pieces - scrap,
                "scrap_quantity": scrap,
                "operator": f"OP-{center.id}",
                "actual_minutes": str(round(job.busy)),  # labour time, pauses excluded
            }
            key = f"{self.run_id}-{job.job_id}-complete"
            try:
                path = f"/jobs/{job.job_id}/complete"
                await self.api.post(
                    "scheduler", path, body, key=key, what="complete job", scope=terminal(center.id)
                )
            except ApiError as e:
                say(f"refused: {e}")
            self._account(job, scrap)
            self.floor.done_jobs.add(job.job_id)
            center.job = None

    def _account(self, job: Job, scrap: int) -> None:
        f = self.floor
        f.busy, f.ideal, f.jobs_done = f.busy + job.busy, f.ideal + job.ideal, f.jobs_done + 1
        f.made, f.good, f.scrap = f.made + job.pieces, f.good + job.pieces - scrap, f.scrap + scrap
        if job.order_id in f.orders and _step(job.order, job.seq) is not None:
            f.pieces[job.order_id] = job.pieces - scrap

    # --- quality ------------------------------------------------------------------------

    async def _quality(self) -> None:
        if not self.has("quality"):
            return
        try:
            page = await self.api.get("quality", "/inspections", status="open", limit=100)
        except (ApiError, httpx.TransportError) as e:
            self.note_once(f"inspections unavailable: {e}")
            return
        for inspection in page.get("inspections", []):
            if inspection["inspection_id"] not in self.floor.inspected:
                await self._inspect(inspection)
        try:
            ncrs = await self.api.get("quality", "/ncrs", status="open", limit=100)
        except (ApiError, httpx.TransportError) as e:
            self.note_once(f"nonconformances unavailable: {e}")
            return
        for ncr in ncrs.get("ncrs", []):
            if ncr["ncr_id"] not in self.floor.decided:
                await self._decide(ncr)

    async def _inspect(self, inspection: dict[str, Any]) -> None:
        order = self.floor.orders.get(inspection["order_id"])
        key = f"{order.id if order else inspection['order_id']}.{inspection['operation_seq']}"
        chars = tuple(
            Characteristic(
                c["name"],
                Decimal(str(c["nominal"])),
                Decimal(str(c["lower"])),
                Decimal(str(c["upper"])),
                c["unit"],
            )
            for c in inspection["characteristics"]
        )
        failed = outcome(self.scenario.settings, key, 1, inspected=True).inspection_failed
        measured = measurements(
            self.scenario.settings, key, chars, inspection["sample_size"], failed=failed
        )
        body = bodies.results_body(measured, {c.name: c.unit for c in chars}, "QC-1", self.clock())
        iid = inspection["inspection_id"]
        try:
            path, key = f"/inspections/{iid}/results", f"{self.run_id}-{iid}"
            await self.api.post(
                "quality", path, body, key=key, what="post inspection results", scope=QUALITY
            )
        except ApiError as e:
            say(f"refused: {e}")
        self.floor.inspected.add(iid)

    async def _decide(self, ncr: dict[str, Any]) -> None:
        order = self.floor.orders.get(ncr["order_id"])
        seq = int(ncr["operation_seq"])
        step = _step(order, seq)
        last = order is not None and order.product.steps[-1].seq == seq
        key = f"{order.id if order else ncr['order_id']}.{seq}"
        drawn = outcome(self.scenario.settings, key, 1, inspected=True)
        if step is None or last:
            disposition: dict[str, Any] = {"kind": "scrap", "quantity": ncr["quantity"]}
        else:
            rework = {
                "operation": "rework",
                "work_center_group": step.group,
                "minutes": drawn.rework_minutes,
            }
            disposition = {"kind": "rework", "operations": [rework]}
        body = {"disposition": disposition, "decided_by": "QE-1"}
        try:
            path, key = f"/ncrs/{ncr['ncr_id']}/disposition", f"{self.run_id}-{ncr['ncr_id']}"
            await self.api.post(
                "quality", path, body, key=key, what="decide disposition", scope=QUALITY
            )
        except ApiError as e:
            say(f"refused: {e}")
        self.floor.decided.add(ncr["ncr_id"])

    async def _all_done(self, now: float) -> bool:
        """True when all our orders are done; accepts short deliveries left by scrap."""
        mine = [o for o in await all_orders(self.api) if o["order_id"] in self.floor.orders]
        for order in mine:
            if order["status"] == "short":
                since = self.floor.short_since.setdefault(order["order_id"], now)
                if now - since >= SHORT_GRACE:
                    await self._accept_short(order)
        return all(o["status"] in ("completed", "cancelled") for o in mine)

    async def _accept_short(self, order: dict[str, Any]) -> None:
        """The ERP takes what was made when scrap left an order short (no make-up came)."""
        path, good = f"/orders/{order['order_id']}", order["good_quantity"]
        reason = f"short delivery accepted: {order['quantity'] - good} scrapped"
        try:
            if good > 0:
                body = {"quantity": good, "reason": reason}
                await self.api.post("orders", path, body, method="PATCH", if_match="*",
                                    what="accept short delivery", scope=ERP)  # fmt: skip
            else:
                body = {"reason": "every piece was scrapped"}
                await self.api.post(
                    "orders", path + "/cancel", body, what="cancel order", scope=ERP
                )
        except ApiError as e:
            say(f"refused: {e}")
        self.floor.short_since.pop(order["order_id"], None)


def _step(order: OrderSpec | None, seq: int) -> Step | None:
    if order is None:
        return None
    return next((s for s in order.product.steps if s.seq == seq), None)


def run_minutes_of(step: Step, pieces: int, efficiency: float) -> int:
    return run_minutes(Operation("", "", step.group, step.per_unit), pieces, efficiency)


def _minutes_between(start: str, end: str) -> int:
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return round(delta.total_seconds() / 60)


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
    api.retries = 0  # on Ctrl-C the services may be stopping too: answer with what we have
    return await report(api, driver.floor, scenario, clock.minutes())


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
