"""SQL of the planner: its state row, its input log, and the published plan's rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.envelope import EventEnvelope

_CREATE_STATE = text(
    "INSERT INTO plan_state (plan_id, epoch) VALUES (:plan_id, :epoch)"
    " ON CONFLICT (plan_id) DO NOTHING"
)
_STATE = text("SELECT epoch FROM plan_state WHERE plan_id = :plan_id")
_SAVE_STATE = text(
    "UPDATE plan_state SET revision = :revision, input_seq = :input_seq, updated_at = now()"
    " WHERE plan_id = :plan_id"
)
_LOG = text(
    """
    INSERT INTO plan_input (plan_id, kind, now, event_id, event_type, schema_version, source,
                            stream_id, stream_version, occurred_at, correlation_id, data)
    VALUES (:plan_id, :kind, :now, :event_id, :event_type, :schema_version, :source,
            :stream_id, :stream_version, :occurred_at, :correlation_id, CAST(:data AS jsonb))
    RETURNING seq
    """
)
_TAIL = text(
    "SELECT seq, kind, now, event_id, event_type, schema_version, source, stream_id,"
    " stream_version, occurred_at, correlation_id, data FROM plan_input"
    " WHERE plan_id = :plan_id AND seq > :after ORDER BY seq"
)
# One statement per table for all the rows of a transaction (unnest of one array per column):
# asyncpg's executemany still executes the upsert once per row.
_OPERATION_COLUMNS = {
    "job_id": "text", "order_id": "text", "seq": "int", "position": "int", "operation": "text",
    "work_center_group": "text", "rework": "boolean", "quantity": "int",
    "setup_minutes": "numeric", "run_minutes_per_unit": "numeric", "status": "text",
    "work_center_id": "text", "start_at": "timestamptz", "end_at": "timestamptz",
    "late": "boolean", "material_status": "text",
}  # fmt: skip
_ORDER_COLUMNS = {
    "order_id": "text", "status": "text", "reason": "text", "quantity": "int",
    "planned_quantity": "int", "priority": "int", "due_at": "timestamptz",
    "projected_completion_at": "timestamptz", "lateness_minutes": "numeric", "late": "boolean",
    "critical": "jsonb",
}  # fmt: skip


def _upsert_all(table: str, columns: dict[str, str], updated: Sequence[str]) -> TextClause:
    """INSERT … SELECT FROM unnest(one array per column) ON CONFLICT (first column) DO UPDATE."""
    arrays = ", ".join(
        f"CAST(:{c} AS text[])::jsonb[]" if t == "jsonb" else f"CAST(:{c} AS {t}[])"
        for c, t in columns.items()
    )
    names = ", ".join(columns)
    key = next(iter(columns))
    sets = ", ".join(f"{c} = excluded.{c}" for c in updated)
    return text(
        f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"
        f" ON CONFLICT ({key}) DO UPDATE SET {sets}"
    )


_OPERATION = _upsert_all(
    "plan_operation",
    _OPERATION_COLUMNS,
    ("position", "quantity", "status", "work_center_id", "start_at", "end_at", "late",
     "material_status"),
)  # fmt: skip
_ORDER = _upsert_all("plan_order", _ORDER_COLUMNS, list(_ORDER_COLUMNS)[1:])


async def epoch(conn: AsyncConnection, plan_id: str, proposed: datetime) -> datetime:
    """The plan's epoch: the one stored, or `proposed` stored now (first start)."""
    await conn.execute(_CREATE_STATE, {"plan_id": plan_id, "epoch": proposed})
    stored: datetime = (await conn.execute(_STATE, {"plan_id": plan_id})).scalar_one()
    return stored


async def save_state(conn: AsyncConnection, plan_id: str, revision: int, input_seq: int) -> None:
    params = {"plan_id": plan_id, "revision": revision, "input_seq": input_seq}
    await conn.execute(_SAVE_STATE, params)


async def log_event(conn: AsyncConnection, plan_id: str, now: int, env: EventEnvelope) -> int:
    """Append an applied event to the input log; its sequence number."""
    row = {
        "plan_id": plan_id, "kind": "event", "now": now, "event_id": env.event_id,
        "event_type": env.event_type, "schema_version": env.schema_version,
        "source": env.source, "stream_id": env.stream_id, "stream_version": env.stream_version,
        "occurred_at": env.occurred_at, "correlation_id": env.correlation_id,
        "data": orjson.dumps(env.data).decode(),
    }  # fmt: skip
    seq: int = (await conn.execute(_LOG, row)).scalar_one()
    return seq


async def log_improvement(
    conn: AsyncConnection, plan_id: str, now: int, data: dict[str, Any]
) -> int:
    """Append an adopted improvement (its slots and sequences) to the input log."""
    return await _log_other(conn, plan_id, "improvement", now, data)


async def log_foreign(conn: AsyncConnection, plan_id: str, now: int, order_id: str) -> int:
    """Append that an order belongs to another plant (its id only, not the whole order)."""
    return await _log_other(conn, plan_id, "foreign", now, {"order_id": order_id})


async def _log_other(
    conn: AsyncConnection, plan_id: str, kind: str, now: int, data: dict[str, Any]
) -> int:
    nulls = dict.fromkeys(
        ("event_id", "event_type", "schema_version", "source", "stream_id", "stream_version",
         "occurred_at", "correlation_id"),
    )  # fmt: skip
    row = nulls | {"plan_id": plan_id, "kind": kind, "now": now,
                   "data": orjson.dumps(data).decode()}  # fmt: skip
    seq: int = (await conn.execute(_LOG, row)).scalar_one()
    return seq


async def tail(conn: AsyncConnection, plan_id: str, after: int) -> Sequence[Any]:
    """Logged inputs after `after`, in order."""
    rows = await conn.execute(_TAIL, {"plan_id": plan_id, "after": after})
    return rows.all()


def envelope_of(row: Any) -> EventEnvelope:
    """The logged event as the envelope it arrived in."""
    return EventEnvelope(
        event_id=row.event_id, event_type=row.event_type, schema_version=row.schema_version,
        source=row.source, stream_type="", stream_id=row.stream_id,
        stream_version=row.stream_version, occurred_at=row.occurred_at,
        correlation_id=row.correlation_id, causation_id=None, data=row.data,
    )  # fmt: skip


async def write_rows(
    conn: AsyncConnection, operations: list[dict[str, Any]], orders: list[dict[str, Any]]
) -> None:
    """Upsert the published plan's rows of the touched orders: one statement per table.

    Each job and order at most once (one statement cannot update a row twice)."""
    if operations:
        await conn.execute(_OPERATION, _columns(operations, _OPERATION_COLUMNS))
    if orders:
        rows = [o | {"critical": orjson.dumps(o["critical"]).decode()} for o in orders]
        await conn.execute(_ORDER, _columns(rows, _ORDER_COLUMNS))


def _columns(rows: list[dict[str, Any]], columns: dict[str, str]) -> dict[str, list[Any]]:
    return {c: [r[c] for r in rows] for c in columns}
