"""Command handlers: load the order's stream, decide, append with its read model in one go."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.errors import NotFound, PreconditionFailed
from mes_events.store import EventStore, Metadata, retry_on_conflict
from mes_events.uow import UnitOfWork
from mes_orders.adapters import read_model
from mes_orders.application.completion import settle
from mes_orders.domain.order import AmendOrder, CancelOrder, Command, decide, fold


async def amend_order(
    uow: UnitOfWork, store: EventStore, cmd: AmendOrder, meta: Metadata, *, if_match: int | None
) -> int:
    """Amend quantity, due time or priority; returns the stream version after it."""
    return await _handle(uow, store, cmd, meta, if_match=if_match)


async def cancel_order(
    uow: UnitOfWork, store: EventStore, cmd: CancelOrder, meta: Metadata, *, if_match: int | None
) -> int:
    """Cancel an open order; returns the stream version after it."""
    return await _handle(uow, store, cmd, meta, if_match=if_match)


async def _handle(
    uow: UnitOfWork, store: EventStore, cmd: Command, meta: Metadata, *, if_match: int | None
) -> int:
    # A concurrent writer moved the stream: reload and decide again, then the ConcurrencyError
    # becomes a 409. With If-Match the reload turns it into a 412.
    async def attempt() -> int:
        async with uow.transaction() as conn:
            return await _decide_and_append(conn, store, cmd, meta, if_match)

    return await retry_on_conflict(attempt)


async def _decide_and_append(
    conn: AsyncConnection, store: EventStore, cmd: Command, meta: Metadata, if_match: int | None
) -> int:
    await read_model.lock(conn, cmd.order_id)
    envelopes = await store.read_stream(conn, cmd.order_id)
    version = len(envelopes)
    if version == 0:
        raise NotFound(f"order {cmd.order_id} not found")
    if if_match is not None and if_match != version:
        raise PreconditionFailed(
            f"order {cmd.order_id} is at version {version}, not {if_match}: reload and retry"
        )
    new = decide(cmd, fold(e.payload() for e in envelopes))
    stored = await store.append(conn, cmd.order_id, version, new, meta)
    await read_model.apply(conn, stored)
    if isinstance(cmd, AmendOrder) and stored:
        # A new quantity can make the pieces already made enough (complete) or too few (short).
        await settle(conn, store, cmd.order_id, meta.occurred_at, cause=stored[-1])
    return await store.stream_version(conn, cmd.order_id)
