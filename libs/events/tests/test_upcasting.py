"""Old event versions stay readable: stored v1 payloads come back as the current model."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from mes_events.catalog.orders import OrderReceived, OrderReceivedV1
from mes_events.envelope import EventEnvelope
from mes_events.upcasting import upcast, upcaster

# Exactly what the store held for an OrderReceived written before v2 (JSON from the database).
STORED_V1: dict[str, Any] = {
    "order_id": "SO-1",
    "external_ref": "ERP-1",
    "customer": "ACME",
    "product": "SHAFT-12",
    "quantity": 100,
    "due_date": "2025-03-08T16:00:00Z",
    "priority": 2,
    "routing": [
        {
            "seq": 10,
            "operation": "turn",
            "work_center_group": "LATHE",
            "setup_minutes": "30",
            "run_minutes_per_unit": "1.5",
            "inspection": None,
        }
    ],
    "materials": [{"material_id": "STEEL-42", "quantity_per_unit": "0.35", "operation_seq": 10}],
}


def _stored(data: dict[str, Any], schema_version: int) -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid4(),
        event_type="orders.OrderReceived",
        schema_version=schema_version,
        source="mes/orders",
        stream_type="order",
        stream_id="SO-1",
        stream_version=1,
        occurred_at=datetime(2025, 3, 1, tzinfo=UTC),
        correlation_id=uuid4(),
        causation_id=None,
        data=data,
    )


def test_the_stored_payload_is_a_valid_v1() -> None:
    assert OrderReceivedV1.model_validate(STORED_V1).due_date == datetime(
        2025, 3, 8, 16, tzinfo=UTC
    )


def test_v1_payload_reads_back_as_v2_through_the_envelope() -> None:
    event = _stored(STORED_V1, schema_version=1).payload()
    assert isinstance(event, OrderReceived)
    assert event.due_at == datetime(2025, 3, 8, 16, tzinfo=UTC)
    assert event.plant_id == "default"
    assert event.routing[0].run_minutes_per_unit == Decimal("1.5")
    assert event.materials[0].quantity_per_unit == Decimal("0.35")


def test_v1_payload_reads_back_as_v2_after_a_trip_through_kafka() -> None:
    env = _stored(STORED_V1, schema_version=1)
    received = EventEnvelope.from_kafka(env.headers(), env.value())
    assert received.schema_version == 1
    assert received.payload() == env.payload()


def test_upcasting_does_not_mutate_the_stored_dict() -> None:
    before = {**STORED_V1}
    upcast("orders.OrderReceived", 1, STORED_V1, 2)
    assert before == STORED_V1


def test_a_current_payload_is_not_upcast() -> None:
    v2 = {**STORED_V1, "plant_id": "north", "due_at": STORED_V1["due_date"]}
    del v2["due_date"]
    assert upcast("orders.OrderReceived", 2, v2, 2) is v2
    event = _stored(v2, schema_version=2).payload()
    assert isinstance(event, OrderReceived) and event.plant_id == "north"


def test_a_missing_upcaster_step_raises() -> None:
    with pytest.raises(LookupError, match=r"no upcaster for orders.OrderReceived v0 -> v1"):
        _stored(STORED_V1, schema_version=0).payload()
    with pytest.raises(LookupError, match=r"tests.Unknown v1 -> v2"):
        upcast("tests.Unknown", 1, {}, 2)


def test_registering_a_step_twice_raises() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        upcaster("orders.OrderReceived", 1)(lambda data: data)
