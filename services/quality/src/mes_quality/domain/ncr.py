"""The nonconformance aggregate: raised (by a failed inspection or a person), disposed once."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from mes_events.catalog.quality import (
    Disposition,
    DispositionDecided,
    NonconformanceRaised,
    Scrap,
)
from mes_events.errors import DomainError, NotFound
from mes_events.registry import DomainEvent
from mes_quality.domain.errors import InvalidInput


class Status(StrEnum):
    NONE = "none"
    OPEN = "open"
    DISPOSITIONED = "dispositioned"


@dataclass(frozen=True, slots=True)
class RaiseNonconformance:
    """A person reports nonconforming pieces (or a lot) outside an inspection."""

    ncr_id: str
    order_id: str
    operation_seq: int
    quantity: int
    defect_code: str
    description: str
    lot_id: str | None = None


@dataclass(frozen=True, slots=True)
class DecideDisposition:
    """Rework, scrap or use as is; `scrap_limit` is how many pieces the NCR can cover."""

    ncr_id: str
    disposition: Disposition
    decided_by: str
    scrap_limit: int


@dataclass(frozen=True, slots=True)
class Ncr:
    ncr_id: str = ""
    status: Status = Status.NONE
    order_id: str = ""
    operation_seq: int = 0
    quantity: int = 0
    inspection_id: str | None = None
    disposition: str | None = None


INITIAL = Ncr()


def decide(cmd: RaiseNonconformance | DecideDisposition, state: Ncr) -> list[DomainEvent]:
    """The events a command produces against the NCR's state; raises when refused."""
    match cmd:
        case RaiseNonconformance():
            if state.status is not Status.NONE:
                raise DomainError(f"nonconformance {cmd.ncr_id} already exists")
            return [
                NonconformanceRaised(
                    ncr_id=cmd.ncr_id,
                    order_id=cmd.order_id,
                    operation_seq=cmd.operation_seq,
                    quantity=cmd.quantity,
                    defect_code=cmd.defect_code,
                    description=cmd.description,
                    lot_id=cmd.lot_id,
                )
            ]
        case DecideDisposition():
            return _dispose(cmd, state)


def _dispose(cmd: DecideDisposition, state: Ncr) -> list[DomainEvent]:
    if state.status is Status.NONE:
        raise NotFound(f"nonconformance {cmd.ncr_id} not found")
    if state.status is Status.DISPOSITIONED:
        raise DomainError(
            f"nonconformance {cmd.ncr_id} already has a disposition ({state.disposition})"
        )
    if isinstance(cmd.disposition, Scrap) and cmd.disposition.quantity > cmd.scrap_limit:
        raise InvalidInput(
            ("disposition", "quantity"),
            f"scrap {cmd.disposition.quantity} is more than the "
            f"{cmd.scrap_limit} pieces this nonconformance covers",
        )
    return [
        DispositionDecided(
            ncr_id=cmd.ncr_id,
            order_id=state.order_id,
            operation_seq=state.operation_seq,
            disposition=cmd.disposition,
            decided_by=cmd.decided_by,
        )
    ]


def evolve(state: Ncr, event: DomainEvent) -> Ncr:
    """Total and free of checks: replaying stored events never fails."""
    match event:
        case NonconformanceRaised():
            return Ncr(
                event.ncr_id,
                Status.OPEN,
                event.order_id,
                event.operation_seq,
                event.quantity,
                event.inspection_id,
            )
        case DispositionDecided():
            return replace(state, status=Status.DISPOSITIONED, disposition=event.disposition.kind)
    return state


def fold(events: Iterable[DomainEvent], state: Ncr = INITIAL) -> Ncr:
    return functools.reduce(evolve, events, state)
