"""Typed FastAPI dependencies: the write-side context, a read connection, request headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.etags import optional_if_match
from mes_events.service import ServiceRuntime
from mes_quality.application.context import Quality


async def _quality(request: Request) -> Quality:
    # async: FastAPI runs a plain `def` dependency in a worker thread, on every request.
    q: Quality = request.app.state.quality
    return q


async def _reader(request: Request) -> AsyncIterator[AsyncConnection]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.engine.connect() as conn:
        yield conn


async def _correlation(
    x_correlation_id: Annotated[UUID | None, Header()] = None,
) -> UUID | None:
    return x_correlation_id


async def _idempotency_key(
    idempotency_key: Annotated[str | None, Header(min_length=1, max_length=200)] = None,
) -> str | None:
    return idempotency_key


QualityDep = Annotated[Quality, Depends(_quality)]
ReaderDep = Annotated[AsyncConnection, Depends(_reader)]
CorrelationDep = Annotated[UUID | None, Depends(_correlation)]
IfMatchDep = Annotated[int | None, Depends(optional_if_match)]
IdempotencyKeyDep = Annotated[str | None, Depends(_idempotency_key)]


def parse_cursor(cursor: str | None) -> int:
    """A list cursor (the last row's store position); 0 starts at the beginning."""
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise HTTPException(
            422,
            [
                {
                    "loc": ["query", "cursor"],
                    "msg": "not a cursor of this API",
                    "type": "value_error",
                }
            ],
        )
    return int(cursor)
