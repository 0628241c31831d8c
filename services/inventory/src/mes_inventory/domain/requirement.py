"""An order operation's need for one material, and where it stands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from mes_inventory.domain.stock import ZERO


@dataclass(frozen=True, slots=True)
class Requirement:
    """Required (order quantity x BOM quantity), reserved and consumed amounts."""

    order_id: str
    operation_seq: int
    material_id: str
    required: Decimal
    reserved: Decimal = ZERO
    consumed: Decimal = ZERO
    priority: int = 3
    due_at: datetime | None = None
    quantity_per_unit: Decimal = ZERO

    @property
    def need(self) -> Decimal:
        """What is neither reserved nor consumed yet: the shortage when nothing is free."""
        return max(self.required - self.reserved - self.consumed, ZERO)

    @property
    def excess(self) -> Decimal:
        """Reserved beyond what the requirement still needs: free to release."""
        return min(self.reserved, max(self.reserved + self.consumed - self.required, ZERO))
