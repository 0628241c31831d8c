"""What a create stores and answers, checked against models validated from scratch.

The create path skips repeated validation where the data is already validated; these tests
pin that the stored event, read-model row, request hash and answer are what full validation
through the catalog's own models gives.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from sqlalchemy import text

from mes_events.catalog.orders import OrderReceived
from mes_orders.application.intake import ORDER_NAMESPACE
from mes_orders.entrypoints.api.schemas import OrderIn, OrderOut
from mes_orders.testing import Api, order_body

pytestmark = pytest.mark.integration


def expected_event(body: dict[str, Any]) -> dict[str, Any]:
    """OrderReceived's JSON, validated field by field from the plain request body."""
    fields = {k: v for k, v in body.items() if k != "due_date"}
    event = OrderReceived.model_validate(
        fields
        | {
            "order_id": str(uuid.uuid5(ORDER_NAMESPACE, body["external_ref"])),
            "due_at": OrderIn.model_validate(body).due_date,
        }
    )
    return event.model_dump(mode="json")


async def stored(api: Api, order_id: str) -> tuple[Any, Any]:
    async with api.runtime.engine.connect() as conn:
        event = (
            await conn.execute(
                text(
                    "SELECT event_type, schema_version, data FROM stored_event WHERE stream_id = :s"
                ),
                {"s": order_id},
            )
        ).one()
        summary = (
            await conn.execute(
                text(
                    "SELECT routing, materials, request_hash, due_at FROM order_summary_v1"
                    " WHERE order_id = :s"
                ),
                {"s": order_id},
            )
        ).one()
    return event, summary


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"due_date": "2026-12-24", "plant_id": "P2", "materials": []},
        {"due_date": "2026-12-01T13:30:00+01:30", "quantity": 7, "priority": 5},
    ],
)
async def test_stored_event_and_row_equal_full_validation(
    api: Api, overrides: dict[str, Any]
) -> None:
    body = order_body(f"ERP-STORED-{uuid.uuid4().hex[:8]}", **overrides)
    r = await api.client.post("/orders", json=body)
    assert r.status_code == 201, r.text
    event, summary = await stored(api, r.json()["order_id"])
    want = expected_event(body)
    assert (event.event_type, event.schema_version) == ("orders.OrderReceived", 2)
    assert event.data == want
    assert summary.routing == want["routing"] and summary.materials == want["materials"]
    digest = hashlib.sha256(OrderIn.model_validate(body).model_dump_json().encode()).hexdigest()
    assert summary.request_hash == digest
    answer = OrderOut.model_validate(r.json())
    assert answer.model_dump(mode="json") == r.json()
    assert answer.due_date == summary.due_at
    assert answer.model_dump(exclude={"received_at"}) == {
        "order_id": want["order_id"],
        "external_ref": body["external_ref"],
        "plant_id": want["plant_id"],
        "customer": "ACME",
        "product": "BRACKET-7",
        "quantity": want["quantity"],
        "due_date": summary.due_at,
        "priority": want["priority"],
        "status": "received",
        "version": 1,
        "good_quantity": 0,
        "scrap_quantity": 0,
        "projected_completion_at": None,
        "lateness_minutes": None,
        "at_risk": False,
        "completed_at": None,
        "on_time": None,
        "cancel_reason": None,
    }
