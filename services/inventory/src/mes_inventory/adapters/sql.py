"""Run Core `text()` statements on the unit of work's asyncpg connection when there is one.

Why: the write path runs ~20 statements per order; through SQLAlchemy each cost ~3x the
driver's own round trip here (the same finding as docs/decisions.md for the store's append).
Inside a `UnitOfWork` transaction the statements go to asyncpg directly, in that same
transaction; anywhere else they go through SQLAlchemy as usual.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.uow import driver_of

# `:name`, but not the `::type` of a cast.
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=256)
def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """`... :a ... :b ... :a` as `... $1 ... $2 ... $1` and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PARAM.sub(number, sql), tuple(names)


async def fetch(
    conn: AsyncConnection, stmt: TextClause, params: Mapping[str, Any] | None = None
) -> list[Sequence[Any]]:
    """All rows of a statement (positional access)."""
    driver = driver_of(conn)
    if driver is None:
        return list((await conn.execute(stmt, dict(params or {}))).all())
    sql, names = positional(stmt.text)
    values = [(params or {})[n] for n in names]
    return list(await driver.fetch(sql, *values))


async def execute(
    conn: AsyncConnection, stmt: TextClause, params: Mapping[str, Any] | None = None
) -> None:
    """Run a statement for its effect."""
    driver = driver_of(conn)
    if driver is None:
        await conn.execute(stmt, dict(params or {}))
        return
    sql, names = positional(stmt.text)
    await driver.execute(sql, *[(params or {})[n] for n in names])


async def execute_many(
    conn: AsyncConnection, stmt: TextClause, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Run a statement once per row."""
    driver = driver_of(conn)
    if driver is None:
        await conn.execute(stmt, [dict(r) for r in rows])
        return
    sql, names = positional(stmt.text)
    await driver.executemany(sql, [[r[n] for n in names] for r in rows])
