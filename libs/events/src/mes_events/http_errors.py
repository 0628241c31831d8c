"""How every API answers failures: domain errors, database errors, and their documentation.

A database that refuses connections, drops them or has no free connection is a passing state,
not a bug: the request gets 503 with `Retry-After` (RFC 9110 15.6.4), its transaction never
committed, and the next request opens a fresh connection. A value the database cannot take
(a NUL character in text, a number beyond its column's range) is the client's: 422, its
transaction rolled back. Any other database error stays a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
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
# Data exceptions a request's values cause: 22000 also covers asyncpg refusing to encode a
# query argument (an integer beyond int4); 22001 too long, 22003 out of range, 22021 and
# 22P05 text PostgreSQL cannot store (NUL), 22P02 text that is not of the type.
UNACCEPTABLE_SQLSTATES = frozenset({"22000", "22001", "22003", "22021", "22P02", "22P05"})


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

# Exceptions that may be either: `database_unavailable` and `unacceptable_value` decide.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
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


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and what it wraps: SQLAlchemy's `orig`, causes and contexts."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        e = pending.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        pending += [getattr(e, "orig", None), e.__cause__, e.__context__]


def _sqlstate(e: BaseException) -> str:
    sqlstate = getattr(e, "sqlstate", None)
    return sqlstate if isinstance(sqlstate, str) else ""


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps) says the database cannot be reached right now."""
    for e in _chain(exc):
        if isinstance(e, OSError | sqlalchemy.exc.TimeoutError):
            return True  # refused, reset, unreachable, timed out; or no pooled connection free
        if isinstance(e, sqlalchemy.exc.DBAPIError) and e.connection_invalidated:
            return True
        # The unit of work talks to asyncpg directly; a connection that died while idle
        # says so only in words (SQLAlchemy's asyncpg dialect tests the same text).
        if isinstance(e, asyncpg.InterfaceError) and "connection is closed" in str(e):
            return True
        if _sqlstate(e).startswith(UNAVAILABLE_SQLSTATES):
            return True
    return False


def unacceptable_value(exc: BaseException) -> str | None:
    """The database's words when `exc` (or what it wraps) refused a value of the request."""
    for e in _chain(exc):
        if isinstance(e, asyncpg.PostgresError) and _sqlstate(e) in UNACCEPTABLE_SQLSTATES:
            return str(e).splitlines()[0] if str(e) else type(e).__name__
    return None


def install_error_handlers(app: FastAPI) -> None:
    """Domain errors to 404/409/412; an unreachable database to 503 + Retry-After, a value it
    refuses to 422."""
    for exc_type, status in DOMAIN_STATUSES.items():
        app.add_exception_handler(exc_type, _status(status))
    for exc_type in DATABASE_ERRORS:
        app.add_exception_handler(exc_type, _database_error)


Handler = Callable[[Request, Exception], Coroutine[Any, Any, Response]]


def _status(status: int) -> Handler:
    async def handle(_: Request, exc: Exception) -> Response:
        return JSONResponse(status_code=status, content={"detail": str(exc)})

    return handle


async def _database_error(request: Request, exc: Exception) -> Response:
    if database_unavailable(exc):
        log.warning("http.database_unavailable", path=request.url.path, error=repr(exc)[:300])
        return JSONResponse(
            status_code=503,
            content={"detail": "the database is unavailable; retry later"},
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    refused = unacceptable_value(exc)
    if refused is None:
        raise exc  # a real failure: the server's 500, with its traceback in the log
    # Logged: a value the schemas should have refused first, named by its field.
    log.warning("http.value_refused_by_database", path=request.url.path, error=refused[:300])
    problem = {"loc": ["request"], "msg": f"a value the database cannot take: {refused}"}
    return JSONResponse(status_code=422, content={"detail": [problem | {"type": "value_error"}]})
