"""Typed FastAPI dependencies: the write-side context and a read connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.service import ServiceRuntime
from mes_inventory.application.context import Inventory


def _inventory(request: Request) -> Inventory:
    inv: Inventory = request.app.state.inventory
    return inv


async def _reader(request: Request) -> AsyncIterator[AsyncConnection]:
    runtime: ServiceRuntime = request.app.state.runtime
    async with runtime.engine.connect() as conn:
        yield conn


def _correlation(x_correlation_id: Annotated[UUID | None, Header()] = None) -> UUID | None:
    return x_correlation_id


InventoryDep = Annotated[Inventory, Depends(_inventory)]
ReaderDep = Annotated[AsyncConnection, Depends(_reader)]
CorrelationDep = Annotated[UUID | None, Depends(_correlation)]
