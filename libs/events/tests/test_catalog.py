"""The event catalog: names, JSON round trips, topics and the generated AsyncAPI document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
import yaml
from pydantic import ValidationError

from mes_events import schemas, topics
from mes_events.catalog import inventory as inv
from mes_events.catalog import orders, quality, scheduler
from mes_events.catalog.common import (
    Characteristic,
    InspectionSpec,
    MaterialRequirement,
    RoutingOperation,
)
from mes_events.envelope import EventEnvelope
from mes_events.registry import REGISTRY, DomainEvent

T0 = datetime(2025, 3, 3, 6, 0, tzinfo=UTC)
CAUSE = UUID("8f1d4e2a-1c55-4d57-9a8e-5b7f0e2c1a01")
BORE = Characteristic(
    name="bore", nominal=Decimal("12.00"), lower=Decimal("11.98"), upper=Decimal("12.02"), unit="mm"
)
SPEC = InspectionSpec(characteristics=(BORE,), sample_size=5)
ROUTING = (
    RoutingOperation(
        seq=10,
        operation="turn",
        work_center_group="LATHE",
        setup_minutes=Decimal(30),
        run_minutes_per_unit=Decimal("1.5"),
        inspection=SPEC,
    ),
    RoutingOperation(
        seq=20,
        operation="mill",
        work_center_group="MILL",
        setup_minutes=Decimal(20),
        run_minutes_per_unit=Decimal("0.75"),
    ),
)
MEASURED = (quality.Measurement(characteristic="bore", sample=1, value=Decimal("12.01")),)
CHANGED = scheduler.PlannedOperation(
    order_id="SO-1", seq=10, work_center_id="LATHE-2", start_at=T0, end_at=T0 + timedelta(hours=2)
)

RECEIVED = orders.OrderReceived(
    order_id="SO-1",
    external_ref="ERP-1",
    plant_id="north",
    customer="ACME",
    product="SHAFT-12",
    quantity=100,
    due_at=T0 + timedelta(days=5),
    priority=2,
    routing=ROUTING,
    materials=(
        MaterialRequirement(
            material_id="STEEL-42", quantity_per_unit=Decimal("0.35"), operation_seq=10
        ),
    ),
)
ARRIVED = inv.MaterialArrived(
    lot_id="L-7", material_id="STEEL-42", quantity=Decimal("500.0"), arrived_at=T0
)
USED_AS_IS = quality.DispositionDecided(
    ncr_id="N-3",
    order_id="SO-1",
    operation_seq=10,
    decided_by="qa-lead",
    disposition=quality.UseAsIs(kind="use_as_is", justification="customer deviation D-12"),
)

SAMPLES: list[DomainEvent] = [
    orders.OrderReceivedV1(
        order_id="SO-1",
        external_ref="ERP-1",
        customer="ACME",
        product="SHAFT-12",
        quantity=100,
        due_date=T0 + timedelta(days=5),
        priority=2,
        routing=ROUTING,
    ),
    RECEIVED,
    orders.OrderAmended(order_id="SO-1", quantity=120, reason="customer call"),
    orders.OrderCancelled(order_id="SO-1", reason="duplicate"),
    orders.OrderCompleted(order_id="SO-1", good_quantity=98, scrap_quantity=2, completed_at=T0),
    inv.MaterialRegistered(material_id="STEEL-42", name="Round bar 42CrMo4", unit="kg"),
    ARRIVED,
    inv.MaterialReserved(
        lot_id="L-7",
        material_id="STEEL-42",
        order_id="SO-1",
        operation_seq=10,
        quantity=Decimal(35),
    ),
    inv.ReservationReleased(
        lot_id="L-7",
        material_id="STEEL-42",
        order_id="SO-1",
        operation_seq=10,
        quantity=Decimal(5),
        reason="order amended",
    ),
    inv.MaterialShortage(
        material_id="STEEL-42",
        order_id="SO-2",
        operation_seq=10,
        required_quantity=Decimal(40),
        missing_quantity=Decimal("12.5"),
    ),
    inv.MaterialConsumed(
        lot_id="L-7",
        material_id="STEEL-42",
        order_id="SO-1",
        operation_seq=10,
        job_id="J-1",
        quantity=Decimal("34.3"),
    ),
    inv.LotQuarantined(lot_id="L-7", material_id="STEEL-42", reason="cert missing", ncr_id="N-1"),
    inv.LotReleased(lot_id="L-7", material_id="STEEL-42", reason="cert received"),
    inv.StockAdjusted(lot_id="L-7", material_id="STEEL-42", delta=Decimal("-1.2"), reason="count"),
    scheduler.WorkCenterRegistered(
        work_center_id="LATHE-2", name="Lathe 2", work_center_group="LATHE"
    ),
    scheduler.WorkCenterRedefined(
        work_center_id="LATHE-2",
        name="Lathe 2 (retrofitted)",
        work_center_group="LATHE",
        efficiency=Decimal("1.2"),
    ),
    scheduler.WorkCenterDown(
        work_center_id="LATHE-2",
        reason="spindle",
        down_at=T0,
        expected_up_at=T0 + timedelta(hours=4),
    ),
    scheduler.WorkCenterUp(work_center_id="LATHE-2", up_at=T0 + timedelta(hours=3)),
    scheduler.ScheduleRevised(
        plan_id="north",
        reason="repair",
        caused_by=CAUSE,
        changed=(CHANGED,),
        removed=(scheduler.OperationRef(order_id="SO-9", seq=20),),
    ),
    scheduler.OrderProjected(
        plan_id="north",
        order_id="SO-1",
        projected_completion_at=T0 + timedelta(days=6),
        due_at=T0 + timedelta(days=5),
        lateness_minutes=Decimal(1440),
    ),
    scheduler.JobStarted(
        job_id="J-1",
        order_id="SO-1",
        operation_seq=10,
        work_center_id="LATHE-2",
        operator="op-17",
        started_at=T0,
    ),
    scheduler.JobCompleted(
        job_id="J-1",
        order_id="SO-1",
        operation_seq=10,
        work_center_id="LATHE-2",
        good_quantity=98,
        scrap_quantity=2,
        actual_minutes=Decimal("181.5"),
        operator="op-17",
        completed_at=T0 + timedelta(hours=3),
    ),
    quality.InspectionRequested(
        inspection_id="I-1", order_id="SO-1", operation_seq=10, job_id="J-1", spec=SPEC
    ),
    quality.InspectionPassed(
        inspection_id="I-1",
        order_id="SO-1",
        operation_seq=10,
        measurements=MEASURED,
        inspector="qa-3",
        inspected_at=T0,
    ),
    quality.InspectionFailed(
        inspection_id="I-2",
        order_id="SO-1",
        operation_seq=10,
        measurements=MEASURED,
        inspector="qa-3",
        inspected_at=T0,
        failed_characteristics=("bore",),
    ),
    quality.NonconformanceRaised(
        ncr_id="N-1",
        order_id="SO-1",
        operation_seq=10,
        quantity=3,
        defect_code="OVERSIZE",
        description="bore +0.03",
        inspection_id="I-2",
    ),
    quality.DispositionDecided(
        ncr_id="N-1",
        order_id="SO-1",
        operation_seq=10,
        decided_by="qa-lead",
        disposition=quality.Rework(
            kind="rework",
            operations=(
                quality.ReworkOperation(
                    operation="hone", work_center_group="HONE", minutes=Decimal(45)
                ),
            ),
        ),
    ),
    quality.DispositionDecided(
        ncr_id="N-2",
        order_id="SO-1",
        operation_seq=10,
        decided_by="qa-lead",
        disposition=quality.Scrap(kind="scrap", quantity=3),
    ),
    USED_AS_IS,
]

EXPECTED = {
    "orders": ["OrderReceived", "OrderAmended", "OrderCancelled", "OrderCompleted"],
    "inventory": [
        "MaterialRegistered", "MaterialArrived", "MaterialReserved", "ReservationReleased",
        "MaterialShortage", "MaterialConsumed", "LotQuarantined", "LotReleased", "StockAdjusted",
    ],
    "scheduler": [
        "WorkCenterRegistered", "WorkCenterRedefined", "WorkCenterDown", "WorkCenterUp",
        "ScheduleRevised", "OrderProjected", "JobStarted", "JobCompleted",
    ],
    "quality": [
        "InspectionRequested", "InspectionPassed", "InspectionFailed", "NonconformanceRaised",
        "DispositionDecided",
    ],
}  # fmt: skip
EXPECTED_NAMES = sorted(f"{service}.{event}" for service, es in EXPECTED.items() for event in es)


def _envelope(event: DomainEvent) -> EventEnvelope:
    stored = orjson.loads(orjson.dumps(event.model_dump(mode="json")))  # as the store keeps it
    return EventEnvelope(
        event_id=uuid4(), event_type=event.type_name, schema_version=event.version,
        source="mes/test", stream_type=event.stream_type, stream_id="s-1", stream_version=1,
        occurred_at=T0, correlation_id=uuid4(), causation_id=None, data=stored,
    )  # fmt: skip


def test_every_catalog_type_is_registered_under_its_wire_name() -> None:
    assert [m.type_name for m in schemas.event_models()] == EXPECTED_NAMES
    for model in schemas.event_models():
        assert model.__name__ == model.type_name.split(".")[1]
        assert model.__doc__, f"{model.__name__} needs a docstring (its schema description)"


def test_order_received_current_version_is_2_and_v1_stays_registered() -> None:
    assert REGISTRY.model("orders.OrderReceived") is orders.OrderReceived
    assert REGISTRY.model("orders.OrderReceived", 1) is orders.OrderReceivedV1
    assert REGISTRY.current_version("orders.OrderReceived") == 2


def test_every_registered_catalog_model_has_a_sample() -> None:
    catalog = {m for m in REGISTRY.all_models() if m.__module__.startswith("mes_events.catalog")}
    assert catalog == {type(e) for e in SAMPLES}


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: f"{e.type_name}.v{e.version}")
def test_round_trip_through_json(event: DomainEvent) -> None:
    model = type(event)
    assert model.model_validate_json(event.model_dump_json()) == event
    assert model.model_validate(orjson.loads(orjson.dumps(event.model_dump(mode="json")))) == event


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: f"{e.type_name}.v{e.version}")
def test_current_events_read_back_through_the_envelope(event: DomainEvent) -> None:
    if event.version == REGISTRY.current_version(event.type_name):
        assert _envelope(event).payload() == event


def test_quantities_are_written_as_plain_decimal_strings() -> None:
    event = inv.MaterialArrived(
        lot_id="L-1", material_id="M", quantity=Decimal("1E+2"), arrived_at=T0
    )
    assert event.model_dump(mode="json")["quantity"] == "100"
    assert inv.StockAdjusted.model_validate(
        {"lot_id": "L", "material_id": "M", "delta": "-0.5", "reason": "r"}
    ).delta == Decimal("-0.5")


def test_payloads_are_frozen_and_reject_unknown_fields() -> None:
    event = orders.OrderCancelled(order_id="SO-1", reason="dup")
    with pytest.raises(ValidationError):
        event.order_id = "SO-2"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        orders.OrderCancelled.model_validate({"order_id": "SO-1", "reason": "x", "extra": 1})


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (Characteristic, {"name": "d", "nominal": "1", "lower": "2", "unit": "mm"}),
        (orders.OrderAmended, {"order_id": "SO-1"}),
        (scheduler.ScheduleRevised, {"plan_id": "p", "reason": "repair"}),
        (scheduler.PlannedOperation, {**CHANGED.model_dump(), "end_at": T0 - timedelta(1)}),
        (quality.DispositionDecided, {**USED_AS_IS.model_dump(), "disposition": {"kind": "x"}}),
        (orders.OrderReceived, {**RECEIVED.model_dump(), "due_at": datetime(2025, 3, 8)}),
        (orders.OrderReceived, {**RECEIVED.model_dump(), "priority": 6}),
        (orders.OrderReceived, {**RECEIVED.model_dump(), "routing": ROUTING + ROUTING[:1]}),
        (inv.MaterialArrived, {**ARRIVED.model_dump(), "quantity": "-1"}),
    ],
)
def test_invalid_payloads_are_rejected(model: type[DomainEvent], data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(data)


def test_disposition_is_a_union_discriminated_by_kind() -> None:
    decided = [e for e in SAMPLES if isinstance(e, quality.DispositionDecided)]
    assert [type(e.disposition).__name__ for e in decided] == ["Rework", "Scrap", "UseAsIs"]


def test_every_type_and_stream_type_maps_to_its_services_topic() -> None:
    for model in schemas.event_models():
        topic = topics.topic_for(model.type_name)
        assert topic == f"mes.{model.type_name.split('.')[0]}"
        assert topics.topic_for_stream_type(model.stream_type) == topic
    assert topics.topic_for_source("orders") == topics.ORDERS
    assert topics.topic_for_source("mes/scheduler") == topics.SCHEDULER
    with pytest.raises(ValueError):
        topics.topic_for_source("billing")
    with pytest.raises(ValueError):
        topics.topic_for("OrderReceived")


def test_committed_asyncapi_document_is_up_to_date() -> None:
    committed = schemas.ASYNCAPI_PATH.read_text(encoding="utf-8")
    assert committed == schemas.render_asyncapi(), (
        "libs/events/asyncapi.yaml is stale: run `uv run python -m mes_events.schemas write`"
    )
    assert schemas.main(["check"]) == 0


def test_check_fails_on_a_stale_document(tmp_path: Path) -> None:
    stale = tmp_path / "asyncapi.yaml"
    stale.write_text(schemas.render_asyncapi().replace("OrderReceived", "OrderArrived"))
    assert schemas.main(["check", "--path", str(stale)]) == 1
    assert schemas.main(["write", "--path", str(stale)]) == 0
    assert schemas.main(["check", "--path", str(stale)]) == 0


def _resolve(doc: Any, ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_asyncapi_document_is_structurally_sound() -> None:
    doc = yaml.safe_load(schemas.ASYNCAPI_PATH.read_text(encoding="utf-8"))
    assert doc["asyncapi"] == "3.0.0"
    for ref in _refs(doc):
        _resolve(doc, ref)
    channels, messages = doc["channels"], doc["components"]["messages"]
    assert {c["address"] for c in channels.values()} == set(topics.TOPICS.values())
    assert sorted(messages) == EXPECTED_NAMES
    for name, message in messages.items():
        assert message["contentType"] == "application/json"
        payload = _resolve(doc, message["payload"]["$ref"])
        assert payload["title"] == name.split(".")[1]
        assert "ce_id" in _resolve(doc, message["headers"]["allOf"][0]["$ref"])["required"]
    for operation in doc["operations"].values():
        assert operation["action"] == "send"
        channel_ref = operation["channel"]["$ref"]
        channel = _resolve(doc, channel_ref)
        for ref in operation["messages"]:
            assert ref["$ref"].startswith(channel_ref + "/messages/"), "message not in its channel"
        assert len(operation["messages"]) == len(channel["messages"])
    assert sorted(m for c in channels.values() for m in c["messages"]) == EXPECTED_NAMES


def test_samples_match_their_schema_fields() -> None:
    # A light check without a JSON Schema validator: keys and required fields agree.
    documented = schemas.json_schemas()
    for event in SAMPLES:
        if event.version != REGISTRY.current_version(event.type_name):
            continue
        schema, data = documented[event.type_name], event.model_dump(mode="json")
        assert set(data) == set(schema["properties"])
        assert set(schema.get("required", ())) <= set(data)
