"""Idempotency keys of line-terminal posts: a retried post gets the first answer back."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.errors import DomainError

_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_SEEN = text("SELECT request_hash, response FROM job_request WHERE idempotency_key = :key")
_SAVE = text(
    "INSERT INTO job_request (idempotency_key, request_hash, response)"
    " VALUES (:key, :hash, CAST(:response AS jsonb))"
)


async def first_answer(conn: AsyncConnection, key: str, request_hash: str) -> Any | None:
    """The answer stored under `key`, or None; the same key with another request is a 409.

    The advisory lock (held to the end of the transaction) makes a concurrent retry wait for
    the first attempt and then find its answer instead of running again.
    """
    await conn.execute(_LOCK, {"key": key})
    row = (await conn.execute(_SEEN, {"key": key})).first()
    if row is None:
        return None
    if row[0] != request_hash:
        raise DomainError("Idempotency-Key was already used for a different request")
    return row[1]


async def remember(conn: AsyncConnection, key: str, request_hash: str, response: Any) -> None:
    payload = orjson.dumps(response, default=str).decode()
    await conn.execute(_SAVE, {"key": key, "hash": request_hash, "response": payload})
