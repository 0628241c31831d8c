"""Whole-pipeline load (issue 9): line terminals' completions through the running system.

Starts the system on loopback as `make up` does (embedded broker, the shared PostgreSQL with
fresh databases, the four services and the dashboard as processes, auth on), registers 30 work
centers, posts open orders and lets the plan settle. Then, per rate of a ladder, simulated line
terminals post `POST /jobs/{id}/start` + `/complete` (Idempotency-Key, each center's own
`terminal:<center>` token) at that many completions per second for --seconds, open loop, and
for each completion it measures:

- post: the latency of `POST /jobs/{id}/complete`;
- revised: that POST -> the ScheduleRevised caused by its JobCompleted, read from `mes.scheduler`
  by a Kafka consumer;
- dashboard: that POST -> the same ScheduleRevised on the dashboard's stream `GET /api/events`.

A rate is kept up when every post succeeded, at least 90 % of the asked rate was done, every
revision arrived and revised p99 <= --max-p99-ms; the ladder stops at the first rate that is not
(--all-rates: it goes on).
Between rates, more orders keep the plan about its initial size. Afterwards, the ceilings of
single components in the same run: a trivial HTTP endpoint, the broker alone at the message
rate the system's topics saw, the scheduler's repair alone (its planner replaying the inputs
the running scheduler logged), the event store's single-event append rate.

    uv run python bench/load_pipeline.py [--rates 5 10 20 40] [--seconds 30] [--orders 300]
    uv run python bench/load_pipeline.py --quick          # about a minute

Prints progress, a table per rate, the ceilings, and a last `summary:` line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from _load_ceilings import (
    Latency,
    broker_ceiling,
    db_ceiling,
    http_ceiling,
    repair_ceiling,
    service_repair_ms,
)
from _load_cpu import CpuMark, CpuUse
from _load_floor import Completion, Floor, run_step
from _load_observe import DashboardWatch, KafkaWatch
from _load_stack import ALL_TOPICS, Stack, running_stack
from scheduler_service import ready
from sqlalchemy import make_url

KEPT_UP_SHARE = 0.9


def say(message: str) -> None:
    print(message, flush=True)  # noqa: T201 - a console program


@dataclass(frozen=True)
class Step:
    """One rate of the ladder, as measured."""

    rate: float
    asked: int
    done: int
    achieved: float
    errors: int
    start: Latency
    post: Latency
    relayed: Latency  # the POST -> its JobCompleted on Kafka
    revised: Latency
    dashboard: Latency
    missing_revised: int
    missing_dashboard: int
    lag: Latency  # scheduled -> start posted (waiting for an idle center and a ready job)
    messages_per_s: float
    cpu: CpuUse
    fanout: str  # the commonest event types on the topics, per completion
    cpu_ms: float  # CPU the system used during the step, per completion
    kept_up: bool


HEADER = (
    f"{'rate':>5} {'done':>5} {'/s':>6} {'err':>4} {'start p50/p99':>14} {'post p50/p99':>14}"
    f" {'relayed p50/p99':>16} {'revised p50/p99':>16} {'miss':>4}"
    f" {'dashboard p50/p99':>18} {'miss':>4} {'lag p99':>8} {'CPU ms':>6} {'msg/s':>6} kept up"
)

LEGEND = (
    "columns (ms): start / post = latency of POST /jobs/{id}/start / complete; relayed = the"
    " complete POST -> its JobCompleted on Kafka; revised = the complete POST -> the"
    " ScheduleRevised it caused, on Kafka; dashboard = the same on the dashboard's stream; miss ="
    " completions whose revision never came; lag = scheduled -> start posted (waiting for an"
    " idle center: a center runs one job at a time); CPU ms = CPU the system (services, broker,"
    " their PostgreSQL backends, background work included) used per completion; msg/s ="
    " messages on the four topics"
)


def row(s: Step) -> str:
    def pair(x: Latency) -> str:
        return f"{x.p50:.0f}/{x.p99:.0f}"

    return (
        f"{s.rate:5g} {s.done:5d} {s.achieved:6.1f} {s.errors:4d} {pair(s.start):>14}"
        f" {pair(s.post):>14} {pair(s.relayed):>16} {pair(s.revised):>16} {s.missing_revised:4d}"
        f" {pair(s.dashboard):>18} {s.missing_dashboard:4d} {s.lag.p99:8.0f} {s.cpu_ms:6.0f}"
        f" {s.messages_per_s:6.0f} {'yes' if s.kept_up else 'NO'}"
    )


async def all_ready(stack: Stack) -> float:
    began = time.perf_counter()
    await asyncio.gather(*(ready(url, timeout=240) for url in stack.urls.values()))
    return time.perf_counter() - began


async def planned(watch: KafkaWatch, order_ids: list[str], timeout: float) -> float:
    """Seconds until the scheduler has projected every order (OrderProjected on Kafka)."""
    began = time.perf_counter()
    while not set(order_ids) <= watch.projected:
        if time.perf_counter() - began > timeout:
            missing = len(set(order_ids) - watch.projected)
            raise TimeoutError(f"{missing} of {len(order_ids)} orders never planned")
        await asyncio.sleep(0.2)
    return time.perf_counter() - began


async def add_orders(floor: Floor, watch: KafkaWatch, count: int) -> None:
    began = time.perf_counter()
    ids = await floor.add_orders(count)
    posted = time.perf_counter() - began
    await planned(watch, ids, timeout=600)
    waited = await watch.quiet(2.0, limit=30)
    say(
        f"  {count} orders posted in {posted:.1f} s, all planned and the topics quiet"
        f" {time.perf_counter() - began:.1f} s after the first (quiet wait {waited:.1f} s);"
        f" open jobs {floor.open_jobs}"
    )


async def progress(
    completions: list[Completion], watches: tuple[KafkaWatch, DashboardWatch], began: float
) -> None:
    while True:
        await asyncio.sleep(5)
        done = sum(c.ok for c in completions)
        seen = [len(w.seen.revision_of_job()) for w in watches]
        say(
            f"    {time.perf_counter() - began:5.1f} s: {done} completed,"
            f" revisions seen on Kafka {seen[0]}, on the dashboard {seen[1]}"
        )


async def drain(
    ok: list[Completion], watches: tuple[KafkaWatch, DashboardWatch], limit: float
) -> None:
    jobs = {c.job_id for c in ok}
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        if all(jobs <= w.seen.revision_of_job().keys() for w in watches):
            return
        await asyncio.sleep(0.2)


def latencies(ok: list[Completion], seen_at: dict[str, float]) -> tuple[list[float], int]:
    found = [(seen_at[c.job_id] - c.complete_sent) * 1000 for c in ok if c.job_id in seen_at]
    return found, len(ok) - len(found)


async def ladder_step(
    floor: Floor,
    watches: tuple[KafkaWatch, DashboardWatch],
    rate: float,
    args: argparse.Namespace,
    databases: dict[str, str],
) -> Step:
    """One rate; `databases`: the system's database names -> service (for the CPU shares)."""
    kafka, dashboard = watches
    messages_before = kafka.seen.messages
    types_before = kafka.seen.by_type.copy()
    cpu_before = CpuMark.now(databases)
    completions: list[Completion] = []
    began = time.perf_counter()
    reporter = asyncio.create_task(progress(completions, watches, began))
    try:
        done, began = await run_step(floor, rate, args.seconds, completions)
    finally:
        reporter.cancel()
    ok = [c for c in done if c.ok]
    finished = max((c.complete_sent + c.complete_ms / 1000 for c in ok), default=began)
    elapsed = max(args.seconds, finished - began)
    messages = kafka.seen.messages - messages_before
    fanout = kafka.seen.by_type - types_before
    cpu = CpuMark.now(databases).since(cpu_before)
    await drain(ok, watches, args.drain)
    revised, missing_revised = latencies(ok, kafka.seen.revision_of_job())
    shown, missing_dashboard = latencies(ok, dashboard.seen.revision_of_job())
    achieved = len(ok) / elapsed
    step = Step(
        rate=rate,
        asked=len(done),
        done=len(ok),
        achieved=achieved,
        errors=len(done) - len(ok),
        start=Latency.of([c.start_ms for c in ok]),
        post=Latency.of([c.complete_ms for c in ok]),
        relayed=Latency.of(latencies(ok, kafka.seen.completed_at)[0]),
        revised=Latency.of(revised),
        dashboard=Latency.of(shown),
        missing_revised=missing_revised,
        missing_dashboard=missing_dashboard,
        lag=Latency.of([(c.start_sent - c.scheduled) * 1000 for c in ok]),
        messages_per_s=messages / elapsed,
        cpu=cpu,
        fanout=", ".join(
            f"{t.split('.')[-1]} {n / max(len(ok), 1):.1f}" for t, n in fanout.most_common(6)
        ),
        cpu_ms=cpu.system_cpu_s() * 1000 / max(len(ok), 1),
        kept_up=False,
    )
    revised_p99 = step.revised.p99 if revised else float("inf")
    kept_up = (
        step.errors == 0
        and achieved >= KEPT_UP_SHARE * rate
        and missing_revised == 0
        and revised_p99 <= args.max_p99_ms
    )
    return Step(**{**step.__dict__, "kept_up": kept_up})


@contextlib.contextmanager
def timed(what: str) -> Iterator[None]:
    began = time.perf_counter()
    say(f"{what} ...")
    yield
    say(f"  ({time.perf_counter() - began:.1f} s)")


async def measure(stack: Stack, args: argparse.Namespace) -> None:
    say(f"system starting: {' '.join(f'{k}={v}' for k, v in stack.urls.items())}")
    say(f"  broker {stack.kafka.bootstrap_servers}; service logs in {stack.log_dir}")
    say(f"  all ready in {await all_ready(stack):.1f} s")
    kafka = KafkaWatch(stack.kafka, *ALL_TOPICS)
    dashboard = DashboardWatch(stack.urls["dashboard"])
    await kafka.start()
    await dashboard.start()
    watches = (kafka, dashboard)
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them.
    limits = httpx.Limits(max_connections=100, keepalive_expiry=4.0)
    async with (
        httpx.AsyncClient(base_url=stack.urls["orders"], timeout=60, limits=limits) as orders,
        httpx.AsyncClient(base_url=stack.urls["scheduler"], timeout=60, limits=limits) as sched,
    ):
        floor = Floor(orders, sched)
        await floor.register_centers()
        with timed(f"seeding {args.orders} orders on 30 work centers"):
            await add_orders(floor, kafka, args.orders)
        baseline = floor.open_jobs
        databases = {str(make_url(u).database): s for s, u in stack.databases.items()}
        before = CpuMark.now(databases)
        await asyncio.sleep(args.idle)
        idle = CpuMark.now(databases).since(before)
        say(f"idle system for {args.idle:g} s: {idle}")
        say(LEGEND)
        steps: list[Step] = []
        for rate in args.rates:
            need = int(rate * args.seconds * 1.3)
            deficit = max(baseline, need) - floor.open_jobs
            if deficit > 0:
                await add_orders(floor, kafka, deficit // 2 + 1)
            say(f"rate {rate:g} completions/s for {args.seconds:g} s (open loop) ...")
            steps.append(await ladder_step(floor, watches, rate, args, databases))
            say(HEADER)
            say(row(steps[-1]))
            say(f"  {steps[-1].cpu}")
            say(f"  messages per completion by type: {steps[-1].fanout}")
            for failure in floor.failures[:3]:
                say(f"    refused: {failure}")
            if floor.retries:
                say(f"  {floor.retries} posts sent again (same key) after a lost answer")
            floor.failures.clear()
            floor.retries = 0
            if not steps[-1].kept_up and not args.all_rates:
                say(f"  not kept up at {rate:g}/s: the ladder stops here")
                break
    await dashboard.stop()
    await kafka.stop()
    await ceilings_and_summary(stack, steps, args)


async def ceilings_and_summary(stack: Stack, steps: list[Step], args: argparse.Namespace) -> None:
    seconds = 2.0 if args.quick else 5.0
    with timed("ceiling: trivial HTTP endpoint"):
        http = await http_ceiling(stack.databases["orders"], seconds)
    say(f"  {http['rps']:.0f} req/s, p50 {http['p50_ms']:.1f} ms, p99 {http['p99_ms']:.1f} ms")
    msg_rate = max(100, round(max(s.messages_per_s for s in steps)))
    broker_s = 3 if args.quick else 10
    with timed(f"ceiling: broker alone at {msg_rate} msg/s for {broker_s} s (the system's broker)"):
        broker = await broker_ceiling(stack.kafka.bootstrap_servers, msg_rate, broker_s)
    say(f"  produce -> consume p50 {broker.p50:.1f} ms, p99 {broker.p99:.1f} ms (n={broker.n})")
    with timed("ceiling: scheduler repair alone (planner replaying the scheduler's input log)"):
        repair = await repair_ceiling(stack.databases["scheduler"])
        in_service = await service_repair_ms(stack.urls["scheduler"])
    say(
        f"  JobStarted p50 {repair.started.p50:.2f} / p99 {repair.started.p99:.2f} ms,"
        f" JobCompleted p50 {repair.completed.p50:.2f} / p99 {repair.completed.p99:.2f} ms"
        f" -> {repair.completions_per_s:.0f} completions/s"
    )
    say(
        "  the same repair inside the running scheduler (its /metrics), mean: "
        + ", ".join(f"{t.split('.')[-1]} {ms:.2f} ms" for t, ms in in_service.items())
    )
    events = 1000 if args.quick else 4000
    with timed(f"ceiling: single-event appends, 10 writers, {events} events"):
        store_eps, raw_eps = await db_ceiling(events)
    say(f"  event store {store_eps:.0f} ev/s, plain asyncpg {raw_eps:.0f} ev/s")

    say("")
    say(HEADER)
    for s in steps:
        say(row(s))
        say(f"  {s.cpu}")
    kept = [s for s in steps if s.kept_up]
    best = max(kept, key=lambda s: s.achieved) if kept else steps[0]
    load = os.getloadavg()
    fields = {
        "rates": ",".join(f"{s.rate:g}" for s in steps),
        "seconds": f"{args.seconds:g}",
        "orders": args.orders,
        "sustained_completions_per_s": f"{best.achieved:.1f}" if kept else "0",
        "at_rate": f"{best.rate:g}",
        "max_achieved_per_s": f"{max(s.achieved for s in steps):.1f}",
        "post_p50_ms": f"{best.post.p50:.1f}",
        "post_p99_ms": f"{best.post.p99:.1f}",
        "revised_p50_ms": f"{best.revised.p50:.1f}",
        "revised_p99_ms": f"{best.revised.p99:.1f}",
        "dashboard_p50_ms": f"{best.dashboard.p50:.1f}",
        "dashboard_p99_ms": f"{best.dashboard.p99:.1f}",
        "messages_per_completion": f"{best.messages_per_s / max(best.achieved, 1e-9):.1f}",
        "system_cpu_ms_per_completion": f"{best.cpu_ms:.0f}",
        "http_ceiling_rps": f"{http['rps']:.0f}",
        "http_ceiling_p99_ms": f"{http['p99_ms']:.1f}",
        "broker_rate": msg_rate,
        "broker_p50_ms": f"{broker.p50:.1f}",
        "broker_p99_ms": f"{broker.p99:.1f}",
        "repair_completed_p99_ms": f"{repair.completed.p99:.2f}",
        "repair_started_p99_ms": f"{repair.started.p99:.2f}",
        "repair_ceiling_completions_per_s": f"{repair.completions_per_s:.0f}",
        "db_append_eps": f"{store_eps:.0f}",
        "db_raw_eps": f"{raw_eps:.0f}",
        "improver": str(not args.no_improver).lower(),
        "loadavg_start": f"{args.load_start:.2f}",
        "loadavg_end": f"{load[0]:.2f}",
    }
    say("summary: " + " ".join(f"{k}={v}" for k, v in fields.items()))


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", type=float, nargs="+", default=None)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--orders", type=int, default=None)
    parser.add_argument("--drain", type=float, default=None, help="s to wait for late revisions")
    parser.add_argument("--idle", type=float, default=None, help="s of idle CPU measured first")
    parser.add_argument("--max-p99-ms", type=float, default=2000.0)
    parser.add_argument("--all-rates", action="store_true", help="go on past a missed rate")
    parser.add_argument("--no-improver", action="store_true", help="scheduler improver off")
    parser.add_argument("--quick", action="store_true", help="a short run (about a minute)")
    args = parser.parse_args()
    quick = {"rates": [5.0, 10.0, 20.0], "seconds": 5.0, "orders": 60, "drain": 10.0, "idle": 3.0}
    full = {
        "rates": [5.0, 10.0, 20.0, 40.0],
        "seconds": 30.0,
        "orders": 300,
        "drain": 30.0,
        "idle": 10.0,
    }
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.load_start = os.getloadavg()[0]
    return args


def main() -> None:
    import uvloop

    args = parse()
    say(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    log_dir = Path(tempfile.mkdtemp(prefix="mes-load-pipeline-"))
    with running_stack(log_dir, improver=not args.no_improver) as stack:
        uvloop.run(measure(stack, args))


if __name__ == "__main__":
    main()
