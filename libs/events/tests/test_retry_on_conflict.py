"""retry_on_conflict: a transaction runs again on a version conflict, at most three times."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from mes_events.store import ConcurrencyError, retry_on_conflict


def flaky(conflicts: int) -> tuple[list[int], Callable[[], Awaitable[str]]]:
    calls: list[int] = []

    async def attempt() -> str:
        calls.append(len(calls) + 1)
        if len(calls) <= conflicts:
            raise ConcurrencyError("s-1", 1, 2)
        return "done"

    return calls, attempt


async def test_succeeds_after_two_conflicts() -> None:
    calls, attempt = flaky(2)
    assert await retry_on_conflict(attempt) == "done"
    assert calls == [1, 2, 3]


async def test_third_conflict_raises_and_nothing_more_runs() -> None:
    calls, attempt = flaky(3)
    with pytest.raises(ConcurrencyError):
        await retry_on_conflict(attempt)
    assert calls == [1, 2, 3]


async def test_other_errors_are_not_retried() -> None:
    calls: list[int] = []

    async def attempt() -> None:
        calls.append(1)
        raise ValueError("domain says no")

    with pytest.raises(ValueError):
        await retry_on_conflict(attempt)
    assert calls == [1]
