"""A work center: registration, redefinition and downtime, as pure decide / evolve."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from mes_events.catalog.scheduler import (
    WorkCenterDown,
    WorkCenterRedefined,
    WorkCenterRegistered,
    WorkCenterUp,
)
from mes_events.errors import DomainError, NotFound, PreconditionFailed
from mes_events.registry import DomainEvent


def stream_id(work_center_id: str) -> str:
    return f"work-center-{work_center_id}"


@dataclass(frozen=True)
class WorkCenter:
    """What the decisions need: the current definition (as registered, or as last redefined)
    and the downtime in progress, if any."""

    registered: WorkCenterRegistered | None = None
    down: WorkCenterDown | None = None
    version: int = 0


def evolve(state: WorkCenter, event: DomainEvent) -> WorkCenter:
    match event:
        case WorkCenterRegistered():
            state = replace(state, registered=event)
        case WorkCenterRedefined():
            state = replace(state, registered=WorkCenterRegistered(**event.model_dump()))
        case WorkCenterDown():
            state = replace(state, down=event)
        case WorkCenterUp():
            state = replace(state, down=None)
    return replace(state, version=state.version + 1)


def fold(events: Iterable[DomainEvent]) -> WorkCenter:
    state = WorkCenter()
    for event in events:
        state = evolve(state, event)
    return state


def register(state: WorkCenter, event: WorkCenterRegistered) -> list[DomainEvent]:
    """The registration; nothing if the identical one exists, 409 if a different one does."""
    if state.registered is None:
        return [event]
    if state.registered == event:
        return []
    raise DomainError(
        f"work center {event.work_center_id} is already registered with another definition"
    )


def redefine(
    state: WorkCenter, event: WorkCenterRedefined, if_match: int | None = None
) -> list[DomainEvent]:
    """The new definition; nothing if it equals the current one.

    404 if unknown, 412 if `if_match` is not the current version, 409 if the group differs:
    the group is the capability routings name, and work may be queued on the center for it
    by the time the planner sees the change; another capability is another work center.
    """
    current = _registered(state, event.work_center_id)
    if if_match is not None and if_match != state.version:
        raise PreconditionFailed(
            f"work center {event.work_center_id} is at version {state.version}, not {if_match}"
        )
    if event.work_center_group != current.work_center_group:
        raise DomainError(
            f"work center {event.work_center_id} is in group {current.work_center_group}; "
            "its group cannot change (register a new work center for another group)"
        )
    if WorkCenterRegistered(**event.model_dump()) == current:
        return []
    return [event]


def _registered(state: WorkCenter, work_center_id: str) -> WorkCenterRegistered:
    if state.registered is None:
        raise NotFound(f"work center {work_center_id} not found")
    return state.registered


def go_down(
    state: WorkCenter, work_center_id: str, reason: str, at: datetime, expected_up_at: datetime
) -> list[DomainEvent]:
    """A breakdown or stop; 409 if the center is already down."""
    _registered(state, work_center_id)
    if state.down is not None:
        since = state.down.down_at.isoformat()
        raise DomainError(f"work center {work_center_id} is already down since {since}")
    if expected_up_at <= at:
        raise DomainError("the expected end of the downtime must lie after now")
    return [
        WorkCenterDown(
            work_center_id=work_center_id, reason=reason, down_at=at, expected_up_at=expected_up_at
        )
    ]


def come_up(state: WorkCenter, work_center_id: str, at: datetime) -> list[DomainEvent]:
    """Back in service; 409 if the center is not down."""
    _registered(state, work_center_id)
    if state.down is None:
        raise DomainError(f"work center {work_center_id} is not down")
    return [WorkCenterUp(work_center_id=work_center_id, up_at=at)]
