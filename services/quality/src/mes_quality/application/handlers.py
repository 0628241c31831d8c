"""REST commands: record an inspection's results, raise an NCR, decide its disposition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.quality import InspectionFailed, NonconformanceRaised
from mes_events.errors import PreconditionFailed
from mes_events.registry import DomainEvent
from mes_events.store import retry_on_conflict
from mes_quality.application import idempotency, streams
from mes_quality.application.context import Quality
from mes_quality.application.idempotency import Key
from mes_quality.domain import inspection, ncr
from mes_quality.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Request:
    """Who sent a command: the Idempotency-Key, If-Match version and correlation id."""

    key: Key | None = None
    if_match: int | None = None
    correlation_id: UUID | None = None


def _check_version(what: str, version: int, if_match: int | None) -> None:
    if version and if_match is not None and if_match != version:
        raise PreconditionFailed(f"{what} is at version {version}, not {if_match}")


async def record_results(
    q: Quality, cmd: inspection.RecordResults, req: Request
) -> tuple[Any, bool]:
    """Judge an open inspection (and raise its NCR on failure); (answer, was it a replay)."""

    async def attempt() -> tuple[Any, bool]:
        async with q.uow.transaction() as conn:
            seen = await idempotency.replayed(conn, req.key)
            if seen is not None:
                return seen, True
            stream = streams.inspection_stream(cmd.inspection_id)
            history, version = await streams.load(conn, q.store, stream)
            _check_version(f"inspection {cmd.inspection_id}", version, req.if_match)
            new = inspection.decide(cmd, inspection.fold(history))
            meta = q.meta(req.correlation_id)
            await streams.append(conn, q.store, meta, new, {stream: version})
            answer = _judged(cmd.inspection_id, new, version + 1)
            await idempotency.remember(conn, req.key, answer)
            return answer, False

    return await retry_on_conflict(attempt)


def _judged(inspection_id: str, events: list[DomainEvent], version: int) -> dict[str, Any]:
    failed = next((e for e in events if isinstance(e, InspectionFailed)), None)
    raised = next((e for e in events if isinstance(e, NonconformanceRaised)), None)
    return {
        "inspection_id": inspection_id,
        "status": "passed" if failed is None else "failed",
        "failed_characteristics": [] if failed is None else list(failed.failed_characteristics),
        "failed_count": 0 if failed is None else failed.failed_count,
        "ncr_id": None if raised is None else raised.ncr_id,
        "version": version,
    }


_ORDER = text("SELECT operations FROM order_plan WHERE order_id = :order_id")


async def raise_nonconformance(
    q: Quality, cmd: ncr.RaiseNonconformance, req: Request
) -> tuple[Any, bool]:
    """A person's NCR on a known order's operation; (answer, was it a replay)."""

    async def attempt() -> tuple[Any, bool]:
        async with q.uow.transaction() as conn:
            seen = await idempotency.replayed(conn, req.key)
            if seen is not None:
                return seen, True
            await _known_operation(conn, cmd.order_id, cmd.operation_seq)
            stream = streams.ncr_stream(cmd.ncr_id)
            history, version = await streams.load(conn, q.store, stream)
            new = ncr.decide(cmd, ncr.fold(history))
            await streams.append(conn, q.store, q.meta(req.correlation_id), new, {stream: version})
            answer = {"ncr_id": cmd.ncr_id, "status": "open", "version": 1}
            await idempotency.remember(conn, req.key, answer)
            return answer, False

    return await retry_on_conflict(attempt)


async def _known_operation(conn: AsyncConnection, order_id: str, seq: int) -> None:
    row = (await conn.execute(_ORDER, {"order_id": order_id})).first()
    if row is None:
        raise InvalidInput(("order_id",), f"order {order_id} is not known to quality")
    if seq not in row[0]:
        raise InvalidInput(("operation_seq",), f"order {order_id} has no operation {seq}")


_BATCH = text("SELECT batch_quantity FROM inspection_v1 WHERE inspection_id = :id")


async def decide_disposition(
    q: Quality, ncr_id: str, disposition: Any, decided_by: str, req: Request
) -> tuple[Any, bool]:
    """Rework, scrap or use as is, once per NCR; (answer, was it a replay)."""

    async def attempt() -> tuple[Any, bool]:
        async with q.uow.transaction() as conn:
            seen = await idempotency.replayed(conn, req.key)
            if seen is not None:
                return seen, True
            stream = streams.ncr_stream(ncr_id)
            history, version = await streams.load(conn, q.store, stream)
            _check_version(f"nonconformance {ncr_id}", version, req.if_match)
            state = ncr.fold(history)
            limit = await _scrap_limit(conn, state)
            cmd = ncr.DecideDisposition(ncr_id, disposition, decided_by, limit)
            new = ncr.decide(cmd, state)
            await streams.append(conn, q.store, q.meta(req.correlation_id), new, {stream: version})
            answer = {
                "ncr_id": ncr_id,
                "status": "dispositioned",
                "disposition": disposition.model_dump(mode="json"),
                "version": version + 1,
            }
            await idempotency.remember(conn, req.key, answer)
            return answer, False

    return await retry_on_conflict(attempt)


async def _scrap_limit(conn: AsyncConnection, state: ncr.Ncr) -> int:
    """An inspection's NCR covers the batch the sample came from; a person's, its quantity."""
    if state.inspection_id is None:
        return state.quantity
    batch = (await conn.execute(_BATCH, {"id": state.inspection_id})).scalar()
    return max(state.quantity, batch or 0)
