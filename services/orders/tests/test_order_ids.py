"""Order ids: the UUID 5 of the ERP reference, as the standard library computes it."""

from __future__ import annotations

import uuid

import pytest

from mes_orders.application.intake import ORDER_NAMESPACE, order_id_for

REFERENCES = ["ERP-2026-000123", "", "a", "Ölmühle/Auftrag 7", "注文-42", "x" * 500, "\x00"]


@pytest.mark.parametrize("ref", REFERENCES)
def test_an_order_id_is_the_uuid5_of_its_reference(ref: str) -> None:
    assert order_id_for(ref) == str(uuid.uuid5(ORDER_NAMESPACE, ref))


def test_many_references_give_their_uuid5() -> None:
    refs = [f"PO-{n}-{n * 7919 % 1000}" for n in range(2_000)]
    assert [order_id_for(r) for r in refs] == [str(uuid.uuid5(ORDER_NAMESPACE, r)) for r in refs]
