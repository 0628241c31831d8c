"""Idempotency-Key: a retried POST gets the first answer; the key reused otherwise is a 409."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.errors import DomainError

# Why an advisory lock: two requests with one key serialise here, so the second finds the
# first's answer instead of deciding again. It takes no transaction id, so the store's "head
# written by an older transaction" check never fires for a request that merely waited.
_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
_SEEN = text("SELECT scope, request_hash, response FROM request_key WHERE idempotency_key = :key")
_SAVE = text(
    "INSERT INTO request_key (idempotency_key, scope, request_hash, response)"
    " VALUES (:key, :scope, :hash, CAST(:response AS jsonb))"
)


@dataclass(frozen=True, slots=True)
class Key:
    """A client's key, the endpoint it was sent to, and a digest of the request body."""

    key: str
    scope: str
    request_hash: str


def key_for(key: str | None, scope: str, body: bytes) -> Key | None:
    return None if key is None else Key(key, scope, hashlib.sha256(body).hexdigest())


async def replayed(conn: AsyncConnection, key: Key | None) -> Any | None:
    """The stored answer of this key, or None when it is new (the key is then locked)."""
    if key is None:
        return None
    await conn.execute(_LOCK, {"key": f"quality.idempotency:{key.key}"})
    row = (await conn.execute(_SEEN, {"key": key.key})).first()
    if row is None:
        return None
    if (row[0], row[1]) != (key.scope, key.request_hash):
        raise DomainError("Idempotency-Key was already used for a different request")
    return row[2]


async def remember(conn: AsyncConnection, key: Key | None, response: Any) -> None:
    """Store the answer with the key, in the transaction that made it."""
    if key is None:
        return
    params = {
        "key": key.key,
        "scope": key.scope,
        "hash": key.request_hash,
        "response": orjson.dumps(response).decode(),
    }
    await conn.execute(_SAVE, params)
