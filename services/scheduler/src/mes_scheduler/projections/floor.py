"""Shop-floor read model: work centers, their downtime and the jobs run on them.

Fed only by this service's own events, so `mes_events.projection.rebuild` can replay it from
the store. The write path applies it inline, in the transaction that appends the events, so
the next command (a second `down`, a job start) sees what the previous one did.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.scheduler import (
    JobCompleted,
    JobStarted,
    WorkCenterDown,
    WorkCenterRedefined,
    WorkCenterRegistered,
    WorkCenterUp,
)
from mes_events.envelope import EventEnvelope
from mes_scheduler.adapters.tables import FLOOR_TABLES

_REGISTERED = text(
    """
    INSERT INTO work_center (work_center_id, name, work_center_group, efficiency, calendar,
                             status, registered_at, version)
    VALUES (:work_center_id, :name, :group, :efficiency, CAST(:calendar AS jsonb), 'up', :at, :v)
    ON CONFLICT (work_center_id) DO NOTHING
    """
)
_REDEFINED = text(
    """
    UPDATE work_center SET name = :name, work_center_group = :group, efficiency = :efficiency,
        calendar = CAST(:calendar AS jsonb), version = :v
    WHERE work_center_id = :work_center_id AND version < :v
    """
)
_DOWN = text(
    """
    UPDATE work_center SET status = 'down', down_reason = :reason, down_at = :down_at,
        expected_up_at = :expected_up_at, version = :v
    WHERE work_center_id = :work_center_id
    """
)
_DOWNTIME = text(
    """
    INSERT INTO downtime (event_id, work_center_id, reason, down_at, expected_up_at)
    VALUES (:event_id, :work_center_id, :reason, :down_at, :expected_up_at)
    ON CONFLICT (event_id) DO NOTHING
    """
)
_UP = text(
    """
    UPDATE work_center SET status = 'up', down_reason = NULL, down_at = NULL,
        expected_up_at = NULL, version = :v
    WHERE work_center_id = :work_center_id
    """
)
_DOWNTIME_END = text(
    "UPDATE downtime SET up_at = :up_at WHERE work_center_id = :work_center_id AND up_at IS NULL"
)

_STARTED = text(
    """
    INSERT INTO job (job_id, order_id, seq, work_center_id, status, operator, terminal,
                     started_at, planned_start_at, override_by, overridden, version)
    VALUES (:job_id, :order_id, :operation_seq, :work_center_id, 'started', :operator, :terminal,
            :started_at, :planned_start_at, :override_by, CAST(:overridden AS jsonb), :v)
    ON CONFLICT (job_id) DO NOTHING
    """
)
_COMPLETED = text(
    """
    UPDATE job SET status = 'completed', completed_at = :completed_at, completed_by = :operator,
        good_quantity = :good_quantity, scrap_quantity = :scrap_quantity,
        actual_minutes = :actual_minutes, standard_minutes = :standard_minutes, version = :v
    WHERE job_id = :job_id AND version < :v
    """
)


class FloorProjection:
    """Work centers, downtime and jobs; rebuild = ship a `_v2` beside it."""

    name = "floor_v1"

    @property
    def tables(self) -> Sequence[Table]:
        return FLOOR_TABLES

    async def __call__(self, conn: AsyncConnection, env: EventEnvelope) -> None:
        if not env.event_type.startswith("scheduler."):
            return
        payload = env.payload()
        v = env.stream_version
        match payload:
            case WorkCenterRegistered() | WorkCenterRedefined():
                sql = _REGISTERED if isinstance(payload, WorkCenterRegistered) else _REDEFINED
                await conn.execute(sql, _definition(payload, env))
            case WorkCenterDown():
                row = payload.model_dump() | {"v": v, "event_id": env.event_id}
                await conn.execute(_DOWN, row)
                await conn.execute(_DOWNTIME, row)
            case WorkCenterUp():
                row = payload.model_dump() | {"v": v}
                await conn.execute(_UP, row)
                await conn.execute(_DOWNTIME_END, row)
            case JobStarted():
                overridden = json.dumps(list(payload.overridden))
                await conn.execute(
                    _STARTED, payload.model_dump() | {"v": v, "overridden": overridden}
                )
            case JobCompleted():
                await conn.execute(_COMPLETED, payload.model_dump() | {"v": v})
            case _:
                return


def _definition(
    e: WorkCenterRegistered | WorkCenterRedefined, env: EventEnvelope
) -> dict[str, Any]:
    calendar = e.calendar.model_dump_json() if e.calendar is not None else None
    return {
        "work_center_id": e.work_center_id,
        "name": e.name,
        "group": e.work_center_group,
        "efficiency": e.efficiency,
        "calendar": calendar,
        "at": env.occurred_at,
        "v": env.stream_version,
    }
