"""Who may do what to orders: the ERP integration writes, every signed-in caller reads."""

from __future__ import annotations

import pytest

from mes_events.auth import ADMIN, ORDERS_WRITE, QUALITY_WRITE, READ, terminal_scope
from mes_events.testing.auth import bearer
from mes_events.tracing import TraceParent
from mes_orders.testing import Api, order_body

pytestmark = pytest.mark.integration

WRITES = [
    ("POST", "/orders", order_body("ACL-NEW")),
    ("PATCH", "/orders/ORD-X", {"priority": 1}),
    ("POST", "/orders/ORD-X/cancel", {"reason": "customer withdrew"}),
]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
@pytest.mark.parametrize("scopes", [(READ,), (QUALITY_WRITE,), (terminal_scope("SAW-1"),)])
async def test_writes_need_orders_write(
    api: Api, method: str, path: str, body: object, scopes: tuple[str, ...]
) -> None:
    r = await api.client.request(method, path, json=body, headers=bearer(*scopes))
    assert r.status_code == 403, r.text
    assert repr(ORDERS_WRITE) in r.json()["detail"]


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_no_token_is_401(api: Api, method: str, path: str, body: object) -> None:
    r = await api.client.request(method, path, json=body, headers={"Authorization": ""})
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("scopes", [(READ,), (terminal_scope("SAW-1"),), (ADMIN,)])
async def test_every_scope_reads(api: Api, scopes: tuple[str, ...]) -> None:
    created = await api.client.post("/orders", json=order_body("ACL-READ"))
    assert created.status_code in (200, 201), created.text
    for path in ("/orders", "/orders/at-risk", created.headers["Location"]):
        assert (await api.client.get(path, headers=bearer(*scopes))).status_code == 200, path


async def test_the_order_carries_the_requests_correlation_id_and_trace(api: Api) -> None:
    caller = TraceParent.new()
    r = await api.client.post(
        "/orders", json=order_body("ACL-TRACE"), headers={"traceparent": str(caller)}
    )
    assert r.status_code == 201, r.text
    history = (await api.client.get(f"{r.headers['Location']}/history")).json()
    assert history["events"][0]["correlation_id"] == r.headers["X-Correlation-Id"]
    async with api.runtime.engine.connect() as conn:
        (received,) = await api.runtime.store.read_stream(conn, r.json()["order_id"])
    assert received.traceparent == r.headers["traceparent"]
    server = TraceParent.parse(received.traceparent)
    assert server is not None and server.trace_id == caller.trace_id
