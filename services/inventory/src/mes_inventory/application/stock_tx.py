"""One write transaction over inventory streams: lock, load, append, project — together."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from sqlalchemy.ext.asyncio import AsyncConnection

from mes_events.catalog.inventory import MATERIAL
from mes_events.envelope import EventEnvelope
from mes_events.registry import DomainEvent
from mes_events.store import EventStore, Metadata
from mes_inventory.adapters import queries
from mes_inventory.domain.stock import MaterialStock
from mes_inventory.projections.stock import StockProjection

PROJECTION = StockProjection()


def lot_stream(lot_id: str) -> str:
    return f"lot-{lot_id}"


def material_stream(material_id: str) -> str:
    return f"material-{material_id}"


def stream_of(event: DomainEvent) -> str:
    """Lot events go to the lot's stream, material events to the material's."""
    if event.stream_type == MATERIAL:
        return material_stream(str(getattr(event, "material_id")))  # noqa: B009
    return lot_stream(str(getattr(event, "lot_id")))  # noqa: B009


@dataclass
class StockTx:
    """Appends decided events at the versions the decision saw, and projects them inline."""

    conn: AsyncConnection
    store: EventStore
    meta: Metadata
    versions: dict[str, int] = field(default_factory=dict)
    appended: list[EventEnvelope] = field(default_factory=list)
    locked: set[str] = field(default_factory=set)

    async def lock(self, material_ids: Iterable[str]) -> None:
        """Lock materials in a fixed order, before this transaction writes anything.

        Why first: the store refuses an append when the stream's head was written by a newer
        transaction than ours, and a transaction gets its id at its first write. Locking
        before writing means we only take an id after everyone ahead of us has committed.
        """
        for material_id in sorted(set(material_ids) - self.locked):
            await queries.lock_material(self.conn, material_id)
            self.locked.add(material_id)

    async def stock(self, material_id: str, lot_ids: Sequence[str] = ()) -> MaterialStock:
        """Lock the material (once per transaction) and load its balances."""
        await self.lock([material_id])
        stock = await queries.load_stock(self.conn, material_id, lot_ids)
        # The material stream's version is read when something is appended to it (emit).
        self.versions.pop(material_stream(material_id), None)
        for lot in stock.lots.values():
            self.versions[lot_stream(lot.lot_id)] = lot.version
        return stock

    async def emit(self, events: Sequence[DomainEvent]) -> list[EventEnvelope]:
        """Append each run of events of one stream in one call; a stale version raises."""
        out: list[EventEnvelope] = []
        for stream_id, run in groupby(events, key=stream_of):
            batch = list(run)
            expected = self.versions.get(stream_id)
            if expected is None:
                expected = await self.store.stream_version(self.conn, stream_id)
            envelopes = await self.store.append(self.conn, stream_id, expected, batch, self.meta)
            self.versions[stream_id] = expected + len(batch)
            for env in envelopes:
                await PROJECTION(self.conn, env)
            out += envelopes
        self.appended += out
        return out
