"""A unit of work that tells what happened to its transaction: committed or rolled back.

The planner keeps the plan in memory and changes it inside the consumer's transaction (the
ConsumerRunner opens one per poll, for its dedupe rows and our appends). The in-memory change
must land exactly when the rows do: it is staged on the connection and swapped in by an
after-commit hook, or dropped by the rollback hook (the Django `on_commit` idea). A
before-commit hook writes what the whole transaction owes once (the read-model rows of the
orders several inputs touched), inside it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.uow import UnitOfWork

HOOKS = "mes_scheduler.hooks"


@dataclass
class Hooks:
    """Callbacks of one transaction: before it commits (inside it), and once it ended one way
    or the other."""

    before_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    on_rollback: list[Callable[[], None]] = field(default_factory=list)
    values: dict[str, object] = field(default_factory=dict)


def hooks_of(conn: AsyncConnection) -> Hooks:
    """The hooks of the transaction open on `conn` (a HookedUnitOfWork transaction)."""
    hooks = conn.info.get(HOOKS)
    if not isinstance(hooks, Hooks):
        raise RuntimeError("not inside a HookedUnitOfWork transaction")
    return hooks


class HookedUnitOfWork(UnitOfWork):
    """UnitOfWork whose transactions run after-commit and after-rollback callbacks."""

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        hooks = Hooks()
        held: AsyncConnection | None = None
        try:
            async with super().transaction() as conn:
                held = conn
                conn.info[HOOKS] = hooks
                yield conn
                for flush in hooks.before_commit:
                    await flush()
                conn.info.pop(HOOKS, None)
        except BaseException:
            if held is not None:
                held.info.pop(HOOKS, None)
            for undo in hooks.on_rollback:
                undo()
            raise
        for done in hooks.on_commit:
            done()
