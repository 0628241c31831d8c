"""The intake's group commit: repeats and clashes inside one batch."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from mes_events.errors import DomainError
from mes_events.store import Metadata
from mes_orders.application.intake import Intake, Placed, request_hash
from mes_orders.entrypoints.api.routes.orders import to_command
from mes_orders.entrypoints.api.schemas import OrderIn
from mes_orders.testing import Api, order_body

pytestmark = pytest.mark.integration


def meta() -> Metadata:
    return Metadata(occurred_at=datetime(2026, 11, 23, tzinfo=UTC), correlation_id=uuid.uuid4())


def intake(api: Api) -> Intake:
    # One committer: every call below lands in the same batch (same transaction).
    return Intake(api.runtime.uow, api.runtime.store, max_batch=64, max_committers=1)


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
