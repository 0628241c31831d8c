"""The planner as a pure function: one input (an event or an adopted improvement) at a time.

Given the same inputs with the same `now`, `apply` gives the same state: that is what lets a
restart rebuild the plan from a snapshot and the logged inputs after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from mes_events.catalog.inventory import MaterialReserved, MaterialShortage
from mes_events.catalog.orders import OrderAmended, OrderCancelled, OrderReceived
from mes_events.catalog.quality import DispositionDecided
from mes_events.catalog.scheduler import (
    JobCompleted,
    JobStarted,
    WorkCenterDown,
    WorkCenterRedefined,
    WorkCenterRegistered,
    WorkCenterUp,
)
from mes_events.registry import DomainEvent
from mes_scheduler.domain import plan_floor, plan_orders
from mes_scheduler.domain.plan_state import PlanState
from mes_scheduler.domain.plan_step import Step, finish
from mes_scheduler.domain.projection_rule import EVERY_MOVE, ProjectionRule
from mes_scheduler.domain.timeaxis import TimeAxis
from mes_scheduler.planning.model import Plant
from mes_scheduler.planning.plan import Slot, empty_plan

Reaction = Callable[[PlanState, Any, Step], None]
REACTIONS: Mapping[str, Reaction] = {
    OrderReceived.type_name: plan_orders.order_received,
    OrderAmended.type_name: plan_orders.order_amended,
    OrderCancelled.type_name: plan_orders.order_cancelled,
    DispositionDecided.type_name: plan_orders.disposition_decided,
    WorkCenterRegistered.type_name: plan_floor.center_registered,
    WorkCenterRedefined.type_name: plan_floor.center_redefined,
    WorkCenterDown.type_name: plan_floor.center_down,
    WorkCenterUp.type_name: plan_floor.center_up,
    JobStarted.type_name: plan_floor.job_started,
    JobCompleted.type_name: plan_floor.job_completed,
}
MATERIAL = frozenset({MaterialReserved.type_name, MaterialShortage.type_name})
INPUT_TYPES = frozenset(REACTIONS) | MATERIAL


def initial(epoch: datetime, *, frozen_horizon: int, shortage_wait: int) -> PlanState:
    """An empty plant: work centers join it as they are registered."""
    plant = Plant(work_centers=(), frozen_horizon=frozen_horizon)
    return PlanState(TimeAxis(epoch), empty_plan(plant), shortage_wait)


def apply(
    state: PlanState,
    event: DomainEvent,
    now: int,
    occurred_at: datetime,
    *,
    rule: ProjectionRule = EVERY_MOVE,
) -> Step:
    """Apply one event (in place) at minute `now`; the returned step says what changed and
    which orders' projections `rule` publishes."""
    state.now = max(state.now, now)
    step = Step(state.plan, about=getattr(event, "order_id", None))
    if isinstance(event, MaterialReserved | MaterialShortage):
        plan_orders.material_changed(state, event, occurred_at, step)
    else:
        reaction = REACTIONS.get(event.type_name)
        if reaction is not None:
            reaction(state, event, step)
    return finish(state, step, rule)


def apply_improvement(
    state: PlanState,
    slots: Mapping[str, Slot],
    sequences: Mapping[str, tuple[str, ...]],
    now: int,
    *,
    rule: ProjectionRule = EVERY_MOVE,
) -> Step:
    """Take an improver result (only times, centers and sequences change) as the next revision."""
    state.now = max(state.now, now)
    step = Step(state.plan)
    plan = state.plan
    state.plan = replace(
        plan,
        slots={**plan.slots, **slots},
        sequences={**plan.sequences, **sequences},
        revision=plan.revision + 1,
    )
    step.changed.update(slots)
    return finish(state, step, rule)
