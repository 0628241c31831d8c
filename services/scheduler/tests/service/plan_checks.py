"""Assertions shared by the planner tests: the published rows equal the in-memory plan."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from mes_scheduler.testing import Api


async def published_equals_memory(api: Api) -> None:
    """Every open operation's row carries the slot the in-memory plan has, and no other row
    claims to be open; the planner saw no infeasible plan."""
    state = api.planner.state
    async with api.runtime.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT job_id, work_center_id, start_at, end_at FROM plan_operation"
                    " WHERE status IN ('planned', 'started')"
                )
            )
        ).all()
    published = {r[0]: (r[1], r[2], r[3]) for r in rows}
    memory = {
        op: (s.work_center, state.axis.at(s.start), state.axis.at(s.end))
        for op, s in state.plan.slots.items()
    }
    assert published == memory
    assert api.planner.violations == []


async def plan_events(api: Api) -> list[Any]:
    """The plan stream's envelopes, oldest first."""
    async with api.runtime.engine.connect() as conn:
        return await api.runtime.store.read_stream(conn, f"plan-{api.planner.plan_id}")
