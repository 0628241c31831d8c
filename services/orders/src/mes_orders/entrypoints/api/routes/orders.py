"""HTTP routes of production orders: thin, they translate and delegate to the application."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Header, HTTPException, Query, Request, Response

from mes_events import json_body
from mes_events.auth import ORDERS_WRITE, requires
from mes_events.errors import NotFound
from mes_events.etags import etag, parse_if_match
from mes_events.http_errors import ErrorDetail
from mes_events.routing import service_router
from mes_orders.adapters import queries
from mes_orders.adapters.read_model import OrderStatus
from mes_orders.application import handlers
from mes_orders.application.intake import order_id_for, request_hash
from mes_orders.domain.order import AmendOrder, CancelOrder, ReceiveOrder
from mes_orders.entrypoints.api.context import Ctx, context_of
from mes_orders.entrypoints.api.schemas import (
    AmendIn,
    AtRiskOrder,
    CancelIn,
    History,
    HistoryEvent,
    OrderDetail,
    OrderIn,
    OrderOut,
    OrderPage,
)

# Reads need `read` (the default for GET); changes come from the ERP/CRM integration.
router = service_router(prefix="/orders", tags=["orders"])
IF_MATCH_REQUIRED: dict[int | str, dict[str, Any]] = {
    428: {"model": ErrorDetail, "description": "If-Match is missing"}
}


def to_command(body: OrderIn) -> ReceiveOrder:
    return ReceiveOrder(
        order_id=order_id_for(body.external_ref),
        external_ref=body.external_ref,
        customer=body.customer,
        product=body.product,
        quantity=body.quantity,
        due_at=body.due_date,
        priority=body.priority,
        routing=body.routing,
        materials=body.materials,
        plant_id=body.plant_id,
    )


@router.post(
    "",
    status_code=201,
    response_model=OrderOut,
    responses={200: {"model": OrderOut, "description": "The same body again: the same order"}},
    openapi_extra=json_body.documented(OrderIn),
)
@requires(ORDERS_WRITE)
async def create_order(request: Request) -> Response:
    """Receive a production order; idempotent by `external_ref` (a different body is a 409)."""
    # Creates are the API's hot path: taking only the Request and returning a Response, the
    # route runs without FastAPI's dependency solving (GuardedRoute), validates its body from
    # the bytes (json_body) and serializes its own answer.
    body = await json_body.read(request, OrderIn)
    ctx = context_of(request)
    command = to_command(body)
    meta = ctx.meta(request)
    placed = await ctx.intake.place(command, request_hash(body), meta)
    location = f"/orders/{placed.order_id}"
    if placed.created:
        out = _fresh(command, meta.occurred_at)
        return _order_response(out, 201, location)
    async with ctx.runtime.engine.connect() as conn:
        row = await queries.summary(conn, placed.order_id)
    assert row is not None
    return _order_response(OrderOut.model_validate(row), 200, location)


def _order_response(out: OrderOut, status: int, location: str) -> Response:
    headers = {"Location": location, "ETag": etag(out.version)}
    return Response(out.model_dump_json(), status, headers, media_type="application/json")


def _fresh(cmd: ReceiveOrder, at: datetime) -> OrderOut:
    # A just-created order: answered from the command, sparing a read of what was just written.
    return OrderOut(
        order_id=cmd.order_id,
        external_ref=cmd.external_ref,
        plant_id=cmd.plant_id,
        customer=cmd.customer,
        product=cmd.product,
        quantity=cmd.quantity,
        due_date=cmd.due_at,
        priority=cmd.priority,
        status=OrderStatus.RECEIVED,
        version=1,
        received_at=at,
        good_quantity=0,
        scrap_quantity=0,
        projected_completion_at=None,
        lateness_minutes=None,
        at_risk=False,
        completed_at=None,
        on_time=None,
        cancel_reason=None,
    )


@router.get("", response_model=OrderPage)
async def list_orders(
    ctx: Ctx,
    status: OrderStatus | None = None,
    customer: Annotated[str | None, Query(max_length=64)] = None,
    product: Annotated[str | None, Query(max_length=64)] = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
    at_risk: bool | None = None,
    plant_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Any:
    """Orders in arrival order, filtered; follow `next_cursor` for the next page."""
    try:
        after = queries.decode_cursor(cursor) if cursor else 0
    except queries.BadCursor as exc:
        problem = {"loc": ["query", "cursor"], "msg": str(exc), "type": "value_error"}
        raise HTTPException(422, [problem]) from exc
    filters = queries.Filters(status, customer, product, due_before, due_after, at_risk, plant_id)
    async with ctx.runtime.engine.connect() as conn:
        items, next_cursor = await queries.page(conn, filters, after=after, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.get("/at-risk", response_model=list[AtRiskOrder])
async def at_risk_orders(ctx: Ctx, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    """Open orders projected to finish after their due time, worst lateness x weight first."""
    async with ctx.runtime.engine.connect() as conn:
        return await queries.at_risk(conn, limit=limit)


@router.get("/{order_id}", response_model=OrderDetail)
async def get_order(order_id: str, response: Response, ctx: Ctx) -> Any:
    """One order with progress per operation, projected completion and material status."""
    async with ctx.runtime.engine.connect() as conn:
        row = await queries.detail(conn, order_id)
    if row is None:
        raise NotFound(f"order {order_id} not found")
    response.headers["ETag"] = etag(row["version"])
    return row


@router.patch("/{order_id}", response_model=OrderOut, responses=IF_MATCH_REQUIRED)
@requires(ORDERS_WRITE)
async def amend_order(
    order_id: str,
    body: AmendIn,
    request: Request,
    response: Response,
    ctx: Ctx,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Change due date, quantity or priority; needs If-Match with the current ETag."""
    expected = parse_if_match(if_match, required=True, what="order")
    cmd = AmendOrder(order_id, body.quantity, body.due_date, body.priority, body.reason)
    rt = ctx.runtime
    await handlers.amend_order(rt.uow, rt.store, cmd, ctx.meta(request), if_match=expected)
    return await _current(order_id, response, ctx)


@router.post("/{order_id}/cancel", response_model=OrderOut)
@requires(ORDERS_WRITE)
async def cancel_order(
    order_id: str,
    body: CancelIn,
    request: Request,
    response: Response,
    ctx: Ctx,
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Cancel an open order with a reason (If-Match optional)."""
    expected = parse_if_match(if_match)
    cmd = CancelOrder(order_id, body.reason)
    rt = ctx.runtime
    await handlers.cancel_order(rt.uow, rt.store, cmd, ctx.meta(request), if_match=expected)
    return await _current(order_id, response, ctx)


async def _current(order_id: str, response: Response, ctx: Ctx) -> dict[str, Any]:
    async with ctx.runtime.engine.connect() as conn:
        row = await queries.summary(conn, order_id)
    if row is None:
        raise NotFound(f"order {order_id} not found")
    response.headers["ETag"] = etag(row["version"])
    return row


@router.get("/{order_id}/history", response_model=History)
async def order_history(order_id: str, ctx: Ctx) -> Any:
    """The order's events in order, with the correlation and causation ids of each."""
    rt = ctx.runtime
    async with rt.engine.connect() as conn:
        envelopes = await rt.store.read_stream(conn, order_id)
    if not envelopes:
        raise NotFound(f"order {order_id} not found")
    events = [
        HistoryEvent(
            version=e.stream_version,
            event_id=str(e.event_id),
            type=e.event_type,
            schema_version=e.payload().version,
            occurred_at=e.occurred_at,
            correlation_id=str(e.correlation_id),
            causation_id=str(e.causation_id) if e.causation_id else None,
            data=e.payload().model_dump(mode="json"),
        )
        for e in envelopes
    ]
    return History(order_id=order_id, events=events)
