"""Stock operations shared by the REST commands and the reactions to other services' events."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

import structlog
from sqlalchemy import text

from mes_inventory.adapters import queries, sql
from mes_inventory.application.stock_tx import StockTx
from mes_inventory.domain import lot as lot_rules
from mes_inventory.domain import reservations as rules
from mes_inventory.domain.requirement import Requirement

log = structlog.get_logger("mes.inventory")

_UNBACKFLUSHED = text(
    "UPDATE requirement SET unbackflushed = unbackflushed + :q WHERE order_id = :order_id"
    " AND operation_seq = :operation_seq AND material_id = :material_id"
)


async def _current(tx: StockTx, req: Requirement) -> Requirement | None:
    for now in await queries.requirements_of_order(tx.conn, req.order_id):
        if (now.operation_seq, now.material_id) == (req.operation_seq, req.material_id):
            return now
    return None


async def reserve(tx: StockTx, reqs: Iterable[Requirement]) -> None:
    """Reserve what each requirement needs, material by material (locks in a fixed order)."""
    ordered = sorted(reqs, key=lambda r: (r.material_id, r.operation_seq))
    for req in ordered:
        if req.need > 0:
            stock = await tx.stock(req.material_id)
            await tx.emit(rules.reserve(stock, req))


async def refill(tx: StockTx, material_ids: Iterable[str]) -> None:
    """Give newly free stock of these materials to waiting requirements, most urgent first."""
    for material_id in sorted(set(material_ids)):
        stock = await tx.stock(material_id)
        if any(lot.available > 0 for lot in stock.lots.values()):
            waiting = await queries.waiting(tx.conn, material_id)
            await tx.emit(rules.fill_shortages(stock, waiting))


async def release(tx: StockTx, req: Requirement, quantity: Decimal, reason: str) -> None:
    """Give back up to `quantity` of what the requirement holds."""
    if quantity <= 0 or req.reserved <= 0:
        return
    stock = await tx.stock(req.material_id)
    held = await queries.holdings(tx.conn, stock, req)
    await tx.emit(rules.release(stock, req, held, quantity, reason))


async def rebalance(tx: StockTx, reqs: Iterable[Requirement], reason: str) -> None:
    """After requirements changed: release their excess, reserve their need, refill others."""
    freed: set[str] = set()
    for req in reqs:
        if req.excess > 0:
            await release(tx, req, req.excess, reason)
            freed.add(req.material_id)
    await reserve(tx, [r for r in reqs if r.need > 0])
    await refill(tx, freed)


async def re_reserve_holders(tx: StockTx, material_id: str, holds: list[lot_rules.Hold]) -> None:
    """Requirements that lost stock on a lot get it elsewhere, or become shortages."""
    orders = sorted({h.order_id for h in holds})
    affected = {(h.order_id, h.operation_seq) for h in holds}
    for order_id in orders:
        for req in await queries.requirements_of_order(tx.conn, order_id):
            if req.material_id == material_id and (order_id, req.operation_seq) in affected:
                await reserve(tx, [req])


async def backflush(
    tx: StockTx, order_id: str, operation_seq: int, pieces: int, job_id: str
) -> None:
    """Consume the operation's materials for `pieces` made (good + scrap)."""
    for req in await queries.requirements_of_order(tx.conn, order_id):
        if req.operation_seq != operation_seq or pieces <= 0:
            continue
        stock = await tx.stock(req.material_id)
        held = await queries.holdings(tx.conn, stock, req)
        events, short = rules.backflush(stock, req, held, req.quantity_per_unit * pieces, job_id)
        await tx.emit(events)
        if short > 0:
            log.warning("backflush.short", order=order_id, material=req.material_id, short=short)
            await sql.execute(
                tx.conn,
                _UNBACKFLUSHED,
                {"q": short, "order_id": order_id, "operation_seq": operation_seq,
                 "material_id": req.material_id},
            )  # fmt: skip
        now = await _current(tx, req)
        if now is not None and now.excess > 0:
            await release(tx, now, now.excess, f"operation {operation_seq} done")
            await refill(tx, [req.material_id])
