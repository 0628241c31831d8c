"""Line terminals: each idle center starts the job its dispatch list says, then completes it."""

from __future__ import annotations

import math
from typing import Any

from mes_simulator.outcomes import outcome
from mes_simulator.rest.api import ApiError, terminal
from mes_simulator.rest.floor import (
    Center,
    Context,
    Job,
    minutes_between,
    say,
    standard_minutes,
    step_of,
)


async def operators(ctx: Context, now: float) -> None:
    """Every idle, up, on-shift center starts the first job marked `start` on its list."""
    if not ctx.has("scheduler") or not ctx.operators:
        return
    for center in ctx.floor.centers.values():
        if center.job is not None or not center.up or ctx.calendar.next_working(int(now)) > now:
            continue
        try:
            items = await ctx.api.get("scheduler", f"/work-centers/{center.id}/dispatch-list")
        except ApiError as e:
            ctx.note_once(f"dispatch list unavailable: {e}")
            continue
        for item in items:
            # A list read before our last completion reached the plan may offer that job
            # again; its start key would only replay the old start.
            if item["job_id"] in ctx.floor.done_jobs or item.get("action") != "start":
                continue
            if await _start(ctx, center, item, now):
                break


async def _start(ctx: Context, center: Center, item: dict[str, Any], now: float) -> bool:
    job_id = item["job_id"]
    body = {"operator": f"OP-{center.id}", "terminal": f"T-{center.id}",
            "work_center_id": center.id}  # fmt: skip
    try:
        await ctx.api.post("scheduler", f"/jobs/{job_id}/start", body,
                           key=f"{ctx.run_id}-{job_id}-start", what="start job",
                           scope=terminal(center.id))  # fmt: skip
    except ApiError as e:
        if e.status == 404 and "/jobs/" in str(e):  # the scheduler offers no job execution
            ctx.note_once(f"operators stop: the scheduler cannot start jobs ({e})")
            ctx.operators = False
        elif e.status != 409:  # 409: not startable after all (another terminal was quicker)
            ctx.note_once(f"cannot start a job: {e}")
        return False
    center.job = _job(ctx, center, item, now)
    return True


def _job(ctx: Context, center: Center, item: dict[str, Any], now: float) -> Job:
    order = ctx.floor.orders.get(item["order_id"])
    seq = int(item["seq"])
    step = step_of(order, seq)
    # A rework job works on the nonconforming pieces only; the others on what flows.
    flowing = ctx.floor.pieces.get(item["order_id"], int(item["quantity"]))
    pieces = int(item["quantity"]) if step is None else flowing
    inspected = bool(step and step.inspection)
    drawn = outcome(ctx.scenario.settings, ctx.key(item["order_id"], seq), pieces,
                    inspected=inspected)  # fmt: skip
    if step is not None:
        standard = standard_minutes(step, pieces, center.efficiency)
        ideal = step.per_unit * pieces / center.efficiency
    else:  # rework, or a job of an order from another run: the plan's duration
        standard = max(1, minutes_between(item["start_at"], item["end_at"]))
        ideal = float(standard)
    work = max(1, round(standard * drawn.factor))
    end = ctx.calendar.finish(int(now), work)
    return Job(item["job_id"], item["order_id"], order, seq, pieces, drawn, work, now, end,
               ideal=ideal)  # fmt: skip


async def completions(ctx: Context, now: float) -> None:
    """Complete every job whose drawn working time is over, with good and scrap pieces."""
    for center in ctx.floor.centers.values():
        job = center.job
        if job is None or job.end > now:
            continue
        job.busy += ctx.calendar.working_minutes(int(job.since), int(now))
        scrap = min(job.outcome.scrap, job.pieces)
        body = {"good_quantity": job.pieces - scrap, "scrap_quantity": scrap,
                "operator": f"OP-{center.id}",
                "actual_minutes": str(round(job.busy))}  # fmt: skip
        try:
            await ctx.api.post("scheduler", f"/jobs/{job.job_id}/complete", body,
                               key=f"{ctx.run_id}-{job.job_id}-complete", what="complete job",
                               scope=terminal(center.id))  # fmt: skip
        except ApiError as e:
            say(f"refused: {e}")
        _account(ctx, job, scrap)
        center.job = None


def _account(ctx: Context, job: Job, scrap: int) -> None:
    f = ctx.floor
    f.busy, f.ideal = f.busy + job.busy, f.ideal + job.ideal
    f.made, f.good, f.scrap = f.made + job.pieces, f.good + job.pieces - scrap, f.scrap + scrap
    f.done_jobs.add(job.job_id)
    if job.order_id in f.orders and step_of(job.order, job.seq) is not None:
        f.pieces[job.order_id] = job.pieces - scrap


def pause(ctx: Context, center: Center, at: float) -> None:
    """The center broke down: its job stops counting working time."""
    job = center.job
    if job is not None:
        worked = ctx.calendar.working_minutes(int(job.since), int(at))
        job.remaining, job.busy, job.end = job.remaining - worked, job.busy + worked, math.inf


def resume(ctx: Context, center: Center, at: float) -> None:
    """The center is back: its job finishes the rest of its work from now."""
    job = center.job
    if job is not None:
        job.since = at
        job.end = ctx.calendar.finish(int(at), max(0, math.ceil(job.remaining)))
