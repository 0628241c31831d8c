"""Single-component ceilings for bench/load_pipeline.py, measured in the same run.

Each reuses another bench's code: the trivial FastAPI endpoint of bench/orders_api.py, the
broker-alone producer -> consumer process of bench/pipeline.py, the single-event append rate of
bench/event_store.py; the scheduler's repair is its pure planner replaying the very inputs the
running scheduler logged (mes_scheduler's planner and plan_store), in this process.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import event_store
import httpx
import orders_api
import pipeline

from mes_events.db import asyncpg_dsn, make_engine
from mes_events.testing.benchdb import percentile, store_database
from mes_scheduler.adapters import plan_store
from mes_scheduler.application.planner import _replay
from mes_scheduler.config import Settings as SchedulerSettings
from mes_scheduler.domain import plan_rows, planner
from mes_scheduler.domain.timeaxis import week_start

STARTED = "scheduler.JobStarted"
COMPLETED = "scheduler.JobCompleted"


@dataclass(frozen=True)
class Latency:
    """p50 / p99 in ms of a sorted sample, and its size."""

    n: int
    p50: float
    p99: float

    @classmethod
    def of(cls, values: list[float]) -> Latency:
        xs = sorted(values)
        return cls(len(xs), percentile(xs, 50), percentile(xs, 99))


async def http_ceiling(database_url: str, seconds: float) -> dict[str, float]:
    """A FastAPI endpoint that does nothing, 1 uvicorn worker, 32 connections (closed loop)."""
    served = await orders_api.Served.start("trivial_app", 1, database_url)
    try:
        return await served.load(seconds, 32)
    finally:
        served.stop()


async def broker_ceiling(bootstrap: str, rate: int, seconds: int) -> Latency:
    """Producer -> consumer process on the system's broker, no code of ours in between."""
    raw = await pipeline.broker_alone(bootstrap, rate, seconds)
    return Latency.of([ms for _, ms in raw])


async def db_ceiling(events: int, writers: int = 10) -> tuple[float, float]:
    """Single-event append transactions/s: the event store, and plain asyncpg."""
    async with store_database("bench_load_store") as url:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        await conn.execute(event_store.RAW_TABLE)
        await conn.close()
        store = await event_store.store_rate(url, writers, events, 1)
        raw = await event_store.raw_rate(url, writers, events, 1)
    return store, raw


@dataclass(frozen=True)
class Repair:
    """The planner alone, per input kind, on the state the running scheduler had."""

    started: Latency
    completed: Latency
    completions_per_s: float  # one start + one complete each, one input at a time


async def repair_ceiling(scheduler_database_url: str) -> Repair:
    """Rebuild the plan from the scheduler's input log and time each job input as it comes.

    Timed: the pure step the service's planner takes per input (apply, then the events and
    read-model rows it publishes), without the database writes around it.
    """
    settings = SchedulerSettings()
    plan_id = settings.plant_id
    engine = make_engine(scheduler_database_url, pool_size=1)
    try:
        async with engine.connect() as conn:  # not committed: nothing is written
            epoch = await plan_store.epoch(conn, plan_id, week_start(datetime.now(UTC)))
            rows = await plan_store.tail(conn, plan_id, 0)
    finally:
        await engine.dispose()
    state = planner.initial(
        epoch,
        frozen_horizon=settings.frozen_horizon_minutes,
        shortage_wait=settings.shortage_wait_minutes,
    )
    ms: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if row.kind != "event":
            _replay(state, row)  # an adopted improvement
            continue
        env = plan_store.envelope_of(row)
        began = time.perf_counter()
        step = planner.apply(state, env.payload(), row.now, env.occurred_at)
        plan_rows.events(state, step, plan_id, env.event_id)
        plan_rows.operation_rows(state, step)
        plan_rows.order_rows(state, step)
        ms[env.event_type].append((time.perf_counter() - began) * 1000)
    per_completion = statistics.fmean(ms[STARTED] or [0]) + statistics.fmean(ms[COMPLETED] or [0])
    ceiling = 1000 / per_completion if per_completion > 0 else float("nan")
    return Repair(Latency.of(ms[STARTED]), Latency.of(ms[COMPLETED]), ceiling)


async def service_repair_ms(scheduler_url: str) -> dict[str, float]:
    """Mean repair time per job input inside the running scheduler (its /metrics histogram)."""
    async with httpx.AsyncClient(base_url=scheduler_url, timeout=30) as client:
        text = (await client.get("/metrics")).text
    sums: dict[str, float] = {}
    counts: dict[str, float] = {}
    for line in text.splitlines():
        for kind, into in (("sum", sums), ("count", counts)):
            prefix = f'mes_replan_duration_seconds_{kind}{{trigger="'
            if line.startswith(prefix):
                trigger, _, value = line.removeprefix(prefix).partition('"} ')
                into[trigger] = float(value)
    return {t: sums[t] / counts[t] * 1000 for t in (STARTED, COMPLETED) if counts.get(t)}
