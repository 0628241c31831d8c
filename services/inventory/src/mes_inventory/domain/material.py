"""Decisions on a material's catalog entry. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from mes_events.catalog.inventory import MaterialRegistered
from mes_events.errors import DomainError
from mes_events.registry import DomainEvent


@dataclass(frozen=True, slots=True)
class RegisterMaterial:
    material_id: str
    description: str
    unit: str
    reorder_point: Decimal = Decimal(0)
    lead_time_days: int = 0


def register(cmd: RegisterMaterial, existing: MaterialRegistered | None) -> list[DomainEvent]:
    """Register once; the same registration again is a no-op, a different one a conflict."""
    new = MaterialRegistered(
        material_id=cmd.material_id,
        name=cmd.description,
        unit=cmd.unit,
        reorder_point=cmd.reorder_point,
        lead_time_days=cmd.lead_time_days,
    )
    if existing is None:
        return [new]
    if existing == new:
        return []
    raise DomainError(f"material {cmd.material_id} is already registered differently")
