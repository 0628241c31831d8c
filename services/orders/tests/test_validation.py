"""Bad input is refused with 422 naming the field, and nothing is stored."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from mes_orders.testing import Api, order_body

pytestmark = pytest.mark.integration

Body = dict[str, Any]


def op(body: Body, i: int) -> Body:
    routing: list[Body] = body["routing"]
    return routing[i]


def limits(body: Body) -> Body:
    characteristic: Body = op(body, 1)["inspection"]["characteristics"][0]
    return characteristic


def _set(path: Callable[[Body], Body], key: str, value: Any) -> Callable[[Body], None]:
    def change(body: Body) -> None:
        path(body)[key] = value

    return change


def _top(key: str, value: Any) -> Callable[[Body], None]:
    return _set(lambda b: b, key, value)


CASES: list[tuple[str, Callable[[Body], None], list[Any], str]] = [
    ("zero quantity", _top("quantity", 0), ["body", "quantity"], "greater than or equal to 1"),
    ("negative quantity", _top("quantity", -5), ["body", "quantity"], "greater than or equal"),
    ("due date not a date", _top("due_date", "next tuesday"), ["body", "due_date"], "datetime"),
    ("due date a number", _top("due_date", 1767225600), ["body", "due_date"], "ISO 8601"),
    ("due date naive", _top("due_date", "2026-12-01T10:00:00"), ["body", "due_date"], "timezone"),
    ("empty routing", _top("routing", []), ["body", "routing"], "at least 1"),
    ("duplicate seq", _set(lambda b: op(b, 1), "seq", 10), ["body", "routing"], "routing[1].seq"),
    ("decreasing seq", _set(lambda b: op(b, 1), "seq", 5), ["body", "routing"], "greater than"),
    (
        "negative setup",
        _set(lambda b: op(b, 0), "setup_minutes", -1),
        ["body", "routing", 0, "setup_minutes"],
        "greater than or equal to 0",
    ),
    (
        "negative run time",
        _set(lambda b: op(b, 1), "run_minutes_per_unit", "-0.5"),
        ["body", "routing", 1, "run_minutes_per_unit"],
        "greater than or equal to 0",
    ),
    (
        "material for unknown seq",
        lambda b: b["materials"][0].update(operation_seq=30),
        ["body", "materials"],
        "materials[0].operation_seq 30",
    ),
    (
        "lower above upper",
        lambda b: limits(b).update(lower="12.05", upper="11.95"),
        ["body", "routing", 1, "inspection", "characteristics", 0],
        "lower 12.05 is greater than upper 11.95",
    ),
    ("unknown field", _top("colour", "red"), ["body", "colour"], "Extra inputs"),
    (
        "unknown nested field",
        _set(lambda b: op(b, 0), "machine", "M1"),
        ["body", "routing", 0, "machine"],
        "Extra inputs",
    ),
    ("customer too long", _top("customer", "C" * 65), ["body", "customer"], "at most 64"),
    ("external_ref empty", _top("external_ref", ""), ["body", "external_ref"], "at least 1"),
    ("NUL in customer", _top("customer", "AC\x00ME"), ["body", "customer"], "pattern"),
    (
        "control char in operation",
        _set(lambda b: op(b, 0), "operation", "cut\n"),
        ["body", "routing", 0, "operation"],
        "pattern",
    ),
    (
        "unit too long",
        lambda b: limits(b).update(unit="millimetres-and-more"),
        ["body", "routing", 1, "inspection", "characteristics", 0, "unit"],
        "at most 16",
    ),
    ("priority 0", _top("priority", 0), ["body", "priority"], "greater than or equal to 1"),
    ("priority 6", _top("priority", 6), ["body", "priority"], "less than or equal to 5"),
    ("missing product", lambda b: b.pop("product"), ["body", "product"], "Field required"),
    (
        "zero material quantity",
        lambda b: b["materials"][0].update(quantity_per_unit=0),
        ["body", "materials", 0, "quantity_per_unit"],
        "greater than 0",
    ),
]


async def order_count(api: Api) -> int:
    async with api.runtime.engine.connect() as conn:
        events = await conn.scalar(text("SELECT count(*) FROM stored_event"))
        rows = await conn.scalar(text("SELECT count(*) FROM order_summary_v1"))
    assert events == rows
    return int(rows or 0)


@pytest.mark.parametrize(("name", "change", "loc", "message"), CASES, ids=[c[0] for c in CASES])
async def test_bad_input_is_422_naming_the_field_and_stores_nothing(
    api: Api, name: str, change: Callable[[Body], None], loc: list[Any], message: str
) -> None:
    body = copy.deepcopy(order_body(f"ERP-BAD-{name}"))
    change(body)
    before = await order_count(api)
    r = await api.client.post("/orders", json=body)
    assert r.status_code == 422, r.text
    errors = r.json()["detail"]
    assert any(e["loc"][: len(loc)] == loc and message in e["msg"] for e in errors), errors
    assert await order_count(api) == before


async def test_body_over_one_mib_is_refused_with_413(api: Api) -> None:
    before = await order_count(api)
    body = order_body("ERP-HUGE", customer="x" * (1024 * 1024))
    r = await api.client.post("/orders", json=body)
    assert r.status_code == 413 and "larger than 1048576 bytes" in r.json()["detail"]
    assert await order_count(api) == before


async def test_streamed_body_over_the_limit_is_refused(api: Api) -> None:
    async def chunks() -> Any:
        for _ in range(20):
            yield b" " * 65536
        yield b"{}"

    r = await api.client.post(
        "/orders", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


async def test_body_that_is_not_json_is_422(api: Api) -> None:
    r = await api.client.post(
        "/orders", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
