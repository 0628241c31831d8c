"""How every API answers failures: domain errors, a database out of reach, and their documentation.

A database that refuses connections, drops them or has no free connection is a passing state,
not a bug: the request gets 503 with `Retry-After` (RFC 9110 15.6.4), its transaction never
committed, and the next request opens a fresh connection. Any other database error stays a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import asyncpg
import sqlalchemy.exc
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from mes_events.errors import DomainError, NotFound, PreconditionFailed
from mes_events.store import ConcurrencyError

log = structlog.get_logger("mes.http")

RETRY_AFTER_S = 2
# SQLSTATE classes and codes of a server out of reach rather than a statement gone wrong:
# 08 connection exception, 57P01-57P03 shutdown or start-up, 53300 too many connections.
UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


class ErrorDetail(BaseModel):
    """The body of every error answer except 422."""

    detail: str


def _documented(description: str) -> dict[str, Any]:
    return {"model": ErrorDetail, "description": description}


# Documented on every guarded route: each can answer them, whatever it does.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("the body could not be read (not UTF-8 text)"),
    401: _documented("no valid bearer token"),
    403: _documented("the token lacks the scope this route needs"),
    404: _documented("the resource does not exist"),
    409: _documented("the command conflicts with the current state"),
    412: _documented("the If-Match version is no longer current"),
    413: _documented("the request body is over the size limit"),
    503: {
        **_documented("the database is out of reach for now; retry after the given seconds"),
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    },
}

# Exceptions that may mean the database is out of reach: `database_unavailable` decides.
UNAVAILABLE_CANDIDATES: tuple[type[Exception], ...] = (
    OSError,
    sqlalchemy.exc.DBAPIError,
    sqlalchemy.exc.TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)

DOMAIN_STATUSES: dict[type[Exception], int] = {
    NotFound: 404,
    DomainError: 409,
    ConcurrencyError: 409,
    PreconditionFailed: 412,
}


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) says the database cannot be reached right now."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        e = pending.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError | sqlalchemy.exc.TimeoutError):
            return True  # refused, reset, unreachable, timed out; or no pooled connection free
        if isinstance(e, sqlalchemy.exc.DBAPIError) and e.connection_invalidated:
            return True
        # The unit of work talks to asyncpg directly; a connection that died while idle
        # says so only in words (SQLAlchemy's asyncpg dialect tests the same text).
        if isinstance(e, asyncpg.InterfaceError) and "connection is closed" in str(e):
            return True
        sqlstate = getattr(e, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(UNAVAILABLE_SQLSTATES):
            return True
        pending += [getattr(e, "orig", None), e.__cause__, e.__context__]
    return False


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors to 404/409/412 and an unreachable database to 503 + Retry-After."""
    for exc_type, status in DOMAIN_STATUSES.items():
        app.add_exception_handler(exc_type, _status(status))
    for exc_type in UNAVAILABLE_CANDIDATES:
        app.add_exception_handler(exc_type, _unavailable)


Handler = Callable[[Request, Exception], Coroutine[Any, Any, Response]]


def _status(status: int) -> Handler:
    async def handle(_: Request, exc: Exception) -> Response:
        return JSONResponse(status_code=status, content={"detail": str(exc)})

    return handle


async def _unavailable(request: Request, exc: Exception) -> Response:
    if not database_unavailable(exc):
        raise exc  # a real failure: the server's 500, with its traceback in the log
    log.warning("http.database_unavailable", path=request.url.path, error=repr(exc)[:300])
    return JSONResponse(
        status_code=503,
        content={"detail": "the database is unavailable; retry later"},
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
