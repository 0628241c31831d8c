"""The numbers a production manager reviews, computed from a finished run."""

from __future__ import annotations

from dataclasses import dataclass

from mes_scheduler.planning.calendar import Availability
from mes_simulator.simulation import Run


@dataclass(frozen=True, slots=True)
class Kpis:
    """One policy's results; lateness and tardiness in hours, OEE and rates as fractions."""

    policy: str
    orders: int
    completed: int
    on_time: float
    mean_lateness_h: float
    max_lateness_h: float
    weighted_tardiness_h: float
    oee: float
    availability: float
    performance: float
    quality: float
    wip: float
    scrap: int
    scrap_rate: float
    plan_changes: int
    events: int
    cpu_ms_per_event: float
    cpu_ms_max: float
    end_h: float


def kpis(run: Run) -> Kpis:
    """KPIs of `run`: on-time delivery, lateness, OEE (A x P x Q), WIP, plan nervousness, CPU."""
    done = [o for o in run.orders.values() if o.completed_at is not None]
    late = [(o.completed_at - o.spec.due) / 60 for o in done if o.completed_at is not None]
    tardiness = sum(o.spec.weight * max(0.0, t) for o, t in zip(done, late, strict=True))
    calendar = Availability(run.scenario.calendar)
    planned = calendar.working_minutes(0, max(run.end, 1)) * len(run.centers)
    ops = [op for op in run.ops.values() if op.status == "done" and op.center is not None]
    efficiency = {c.spec.id: c.spec.efficiency for c in run.centers.values()}
    busy = sum(op.busy for op in ops)
    ideal = sum(op.op.per_unit / efficiency[op.center] * op.pieces_in for op in ops if op.center)
    pieces = sum(op.pieces_in for op in ops)
    good = sum(op.good for op in ops)
    scrap = sum(o.scrap for o in run.orders.values())
    made = sum(o.spec.quantity for o in done)
    availability = busy / planned if planned else 0.0
    performance = ideal / busy if busy else 0.0
    quality = good / pieces if pieces else 0.0
    return Kpis(
        policy=run.policy,
        orders=len(run.scenario.orders),
        completed=len(done),
        on_time=sum(1 for lateness in late if lateness <= 0) / len(done) if done else 0.0,
        mean_lateness_h=sum(late) / len(late) if late else 0.0,
        max_lateness_h=max(late, default=0.0),
        weighted_tardiness_h=tardiness,
        oee=availability * performance * quality,
        availability=availability,
        performance=performance,
        quality=quality,
        wip=run.wip_area / run.end if run.end else 0.0,
        scrap=scrap,
        scrap_rate=scrap / made if made else 0.0,
        plan_changes=run.head_changes,
        events=run.events,
        cpu_ms_per_event=1000 * run.cpu_seconds / run.events if run.events else 0.0,
        cpu_ms_max=1000 * run.cpu_max,
        end_h=run.end / 60,
    )
