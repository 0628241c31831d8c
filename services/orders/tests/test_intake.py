"""The intake's group commit: repeats and clashes inside one batch, gathering under load."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from mes_events.errors import DomainError
from mes_events.store import Metadata
from mes_orders.application.intake import Intake, Placed, request_hash
from mes_orders.entrypoints.api.routes.orders import to_command
from mes_orders.entrypoints.api.schemas import OrderIn
from mes_orders.testing import Api, order_body

pytestmark = pytest.mark.integration


def meta() -> Metadata:
    return Metadata(occurred_at=datetime(2026, 11, 23, tzinfo=UTC), correlation_id=uuid.uuid4())


def intake(api: Api, gather_s: float = 0.0, target: int = 12, committers: int = 1) -> Intake:
    # One committer by default: concurrent calls land in the same batch (same transaction).
    return Intake(
        api.runtime.uow,
        api.runtime.store,
        max_batch=64,
        max_committers=committers,
        gather_s=gather_s,
        gather_target=target,
    )


async def place(it: Intake, ref: str, quantity: int) -> Placed:
    body = OrderIn.model_validate(order_body(ref, quantity=quantity))
    return await it.place(to_command(body), request_hash(body), meta())


async def test_a_repeat_inside_one_batch_is_the_same_order(api: Api) -> None:
    it = intake(api)
    first, again, other = await asyncio.gather(
        place(it, "B-SAME", 4), place(it, "B-SAME", 4), place(it, "B-OTHER", 4)
    )
    assert first.created and not again.created and other.created
    assert first.order_id == again.order_id != other.order_id


async def test_a_clash_inside_one_batch_fails_only_the_clashing_order(api: Api) -> None:
    it = intake(api)
    results = await asyncio.gather(
        place(it, "B-CLASH", 4),
        place(it, "B-CLASH", 5),
        place(it, "B-FINE", 4),
        return_exceptions=True,
    )
    first, clash, fine = results
    assert isinstance(first, Placed) and first.created
    assert isinstance(clash, DomainError) and "B-CLASH" in str(clash)
    assert isinstance(fine, Placed) and fine.created
    detail = (await api.client.get(f"/orders/{first.order_id}")).json()
    assert detail["quantity"] == 4


async def tx_of(api: Api, order_id: str) -> int:
    async with api.runtime.engine.connect() as conn:
        row = await conn.execute(
            text("SELECT tx_id::text FROM stored_event WHERE stream_id = :s"), {"s": order_id}
        )
        return int(row.scalar_one())


@pytest.mark.parametrize("gather_s", [0.0, 0.3])
async def test_under_load_a_committer_gathers_later_arrivals(api: Api, gather_s: float) -> None:
    it = intake(api, gather_s)
    tag = f"G{int(gather_s * 1000)}"
    # Load: two creates in one transaction.
    await asyncio.gather(place(it, f"{tag}-A", 1), place(it, f"{tag}-B", 1))
    # A create, and another 20 ms later: gathered into one transaction only with gather_s.
    first = asyncio.create_task(place(it, f"{tag}-C", 1))
    await asyncio.sleep(0.02)
    second = await place(it, f"{tag}-D", 1)
    c, d = await tx_of(api, (await first).order_id), await tx_of(api, second.order_id)
    assert (c == d) is (gather_s > 0)
    # Idle again (the last transaction held one create, or the gathered two before it):
    # after at most one more wait, a lone create commits at once.
    await place(it, f"{tag}-E", 1)
    started = time.perf_counter()
    await place(it, f"{tag}-F", 1)
    assert time.perf_counter() - started < 0.15


async def test_a_gathering_committer_starts_once_enough_are_queued(api: Api) -> None:
    it = intake(api, 5.0, target=2)
    await asyncio.gather(place(it, "T-A", 1), place(it, "T-B", 1))
    started = time.perf_counter()
    first = asyncio.create_task(place(it, "T-C", 1))
    await asyncio.sleep(0.02)
    second = await place(it, "T-D", 1)
    # The second arrival completes the target: no waiting out the 5 s.
    assert time.perf_counter() - started < 1.0
    assert await tx_of(api, (await first).order_id) == await tx_of(api, second.order_id)


async def test_several_committers_gathering_place_every_order_once(api: Api) -> None:
    it = intake(api, 0.05, target=4, committers=3)
    await asyncio.gather(place(it, "M-0", 1), place(it, "M-1", 1))

    async def later(i: int) -> Placed:
        await asyncio.sleep(0.002 * i)
        return await place(it, f"M-{i}", 1)

    placed = await asyncio.gather(*(later(i) for i in range(2, 22)))
    assert all(p.created for p in placed)
    async with api.runtime.engine.connect() as conn:
        versions = [await api.runtime.store.stream_version(conn, p.order_id) for p in placed]
    assert versions == [1] * 20
