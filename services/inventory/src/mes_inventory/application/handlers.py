"""REST commands: register a material, receive, count, hold and release lots."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import text

from mes_events.catalog.inventory import MaterialRegistered
from mes_events.errors import DomainError, NotFound
from mes_events.store import retry_on_conflict
from mes_inventory.adapters import queries
from mes_inventory.application import engine
from mes_inventory.application.context import Inventory
from mes_inventory.application.stock_tx import StockTx, material_stream
from mes_inventory.domain import lot as lot_rules
from mes_inventory.domain import material as material_rules
from mes_inventory.domain.errors import InvalidReference

_KNOWN = text("SELECT unit FROM material WHERE material_id = :m")
_KEY = text("SELECT request_hash, response FROM receipt_request WHERE idempotency_key = :key")
_SAVE_KEY = text(
    "INSERT INTO receipt_request (idempotency_key, request_hash, response)"
    " VALUES (:key, :hash, CAST(:response AS jsonb))"
)


async def register_material(
    inv: Inventory, cmd: material_rules.RegisterMaterial, correlation_id: UUID | None = None
) -> bool:
    """Register a material; False when the identical registration was already there."""

    async def attempt() -> bool:
        async with inv.uow.transaction() as conn:
            stream = await inv.store.read_stream(conn, material_stream(cmd.material_id))
            existing = next(
                (p for e in stream if isinstance(p := e.payload(), MaterialRegistered)), None
            )
            events = material_rules.register(cmd, existing)
            tx = StockTx(conn, inv.store, inv.meta(correlation_id))
            tx.versions[material_stream(cmd.material_id)] = len(stream)
            await tx.emit(events)
            return bool(events)

    return await retry_on_conflict(attempt)


@dataclass(frozen=True)
class Receipt:
    cmd: lot_rules.ReceiveMaterial
    auto_register: bool = False
    unit: str | None = None
    idempotency_key: str | None = None
    request_hash: str = ""


async def receive(
    inv: Inventory, r: Receipt, correlation_id: UUID | None = None
) -> tuple[Any, bool]:
    """A receipt: the new lot, then its stock goes to shortages that wait for the material.

    Returns the response and whether it is the replay of an earlier request with the same key.
    """

    async def attempt() -> tuple[Any, bool]:
        async with inv.uow.transaction() as conn:
            if r.idempotency_key is not None:
                await queries.lock_idempotency_key(conn, r.idempotency_key)
                seen = (await conn.execute(_KEY, {"key": r.idempotency_key})).first()
                if seen is not None:
                    if seen[0] != r.request_hash:
                        raise DomainError("Idempotency-Key was used for a different receipt")
                    return seen[1], True
            tx = StockTx(conn, inv.store, inv.meta(correlation_id))
            m = r.cmd.material_id
            await tx.stock(m)
            if (await conn.execute(_KNOWN, {"m": m})).first() is None:
                if not r.auto_register:
                    raise InvalidReference("material_id", f"material {m} is not registered")
                reg = material_rules.RegisterMaterial(m, m, r.unit or "each")
                await tx.emit(material_rules.register(reg, None))
            existing = await queries.lot_material(conn, r.cmd.lot_id)
            await tx.emit(lot_rules.receive(r.cmd, existing))
            await engine.refill(tx, [m])
            response = {"lot_id": r.cmd.lot_id, "material_id": m, "events": len(tx.appended)}
            if r.idempotency_key is not None:
                await conn.execute(
                    _SAVE_KEY,
                    {"key": r.idempotency_key, "hash": r.request_hash,
                     "response": _json(response)},
                )  # fmt: skip
            return response, False

    return await retry_on_conflict(attempt)


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


async def count_lot(
    inv: Inventory,
    lot_id: str,
    material_id: str,
    counted: Decimal,
    reason: str,
    correlation_id: UUID | None = None,
) -> Decimal:
    """A cycle count; returns the adjustment made (0 when the count matched)."""

    async def attempt() -> Decimal:
        async with inv.uow.transaction() as conn:
            actual = await queries.lot_material(conn, lot_id)
            if actual is None:
                raise InvalidReference("lot_id", f"lot {lot_id} is unknown")
            if actual != material_id:
                raise InvalidReference("material_id", f"lot {lot_id} is of material {actual}")
            tx = StockTx(conn, inv.store, inv.meta(correlation_id))
            stock = await tx.stock(material_id, [lot_id])
            lot = stock.lots[lot_id]
            before = lot.on_hand
            holds = await queries.holds_on_lot(conn, lot_id)
            await tx.emit(lot_rules.count(lot, counted, reason, holds))
            await engine.re_reserve_holders(tx, material_id, holds)
            if counted > before:
                await engine.refill(tx, [material_id])
            return counted - before

    return await retry_on_conflict(attempt)


async def hold_lot(
    inv: Inventory,
    lot_id: str,
    reason: str,
    *,
    held: bool,
    ncr_id: str | None = None,
    correlation_id: UUID | None = None,
    causation_id: UUID | None = None,
) -> None:
    """Quarantine (held=True) or release a lot; reservations move to other lots or refill."""

    async def attempt() -> None:
        async with inv.uow.transaction() as conn:
            await set_hold(StockTx(conn, inv.store, inv.meta(correlation_id, causation_id)),
                           lot_id, reason, held=held, ncr_id=ncr_id)  # fmt: skip

    await retry_on_conflict(attempt)


async def set_hold(
    tx: StockTx, lot_id: str, reason: str, *, held: bool, ncr_id: str | None = None
) -> None:
    """Inside a transaction: quarantine or release one lot (no-op when already so)."""
    material_id = await queries.lot_material(tx.conn, lot_id)
    if material_id is None:
        raise NotFound(f"lot {lot_id} not found")
    stock = await tx.stock(material_id, [lot_id])
    lot = stock.lots[lot_id]
    if held:
        holds = await queries.holds_on_lot(tx.conn, lot_id)
        await tx.emit(lot_rules.quarantine(lot, reason, ncr_id, holds))
        await engine.re_reserve_holders(tx, material_id, holds)
    else:
        await tx.emit(lot_rules.release_hold(lot, reason))
        await engine.refill(tx, [material_id])
