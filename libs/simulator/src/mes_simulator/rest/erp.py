"""The ERP and purchasing: orders, receipts, and accepting short deliveries left by scrap."""

from __future__ import annotations

from typing import Any

from mes_simulator.rest import bodies
from mes_simulator.rest.api import ERP, ApiError
from mes_simulator.rest.floor import Context, say
from mes_simulator.rest.report import all_orders
from mes_simulator.scenario import OrderSpec, Receipt

SHORT_GRACE = 60  # plant minutes a short order may wait for a make-up before the ERP accepts it


async def post_order(ctx: Context, order: OrderSpec) -> None:
    body = bodies.order_body(order, ctx.run_id, ctx.clock.at(order.due))
    created = await ctx.api.post("orders", "/orders", body, what="post order", scope=ERP)
    ctx.floor.orders[created["order_id"]] = order
    ctx.floor.pieces[created["order_id"]] = order.quantity


async def post_receipt(ctx: Context, receipt: Receipt) -> None:
    body = bodies.receipt_body(receipt, ctx.run_id, ctx.clock.at(receipt.at))
    await ctx.api.post("inventory", "/receipts", body, key=body["lot_id"], what="post receipt",
                       scope=ERP)  # fmt: skip


async def review(ctx: Context, now: float) -> bool:
    """Accept short deliveries that waited long enough; True when all our orders are done."""
    mine = [o for o in await all_orders(ctx.api) if o["order_id"] in ctx.floor.orders]
    ctx.floor.last_orders = mine
    for order in mine:
        if order["status"] == "short":
            since = ctx.floor.short_since.setdefault(order["order_id"], now)
            if now - since >= SHORT_GRACE:
                await _accept_short(ctx, order)
    return all(o["status"] in ("completed", "cancelled") for o in mine)


async def _accept_short(ctx: Context, order: dict[str, Any]) -> None:
    """The ERP takes what was made when scrap left an order short and no make-up came."""
    path, good = f"/orders/{order['order_id']}", order["good_quantity"]
    try:
        if good > 0:
            reason = f"short delivery accepted: {order['quantity'] - good} scrapped"
            body = {"quantity": good, "reason": reason}
            await ctx.api.post("orders", path, body, method="PATCH", if_match="*",
                               what="accept short delivery", scope=ERP)  # fmt: skip
        else:
            body = {"reason": "every piece was scrapped"}
            await ctx.api.post("orders", f"{path}/cancel", body, what="cancel order", scope=ERP)
    except ApiError as e:
        say(f"refused: {e}")
    ctx.floor.short_since.pop(order["order_id"], None)
