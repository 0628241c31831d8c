"""Material stock of the simulated shop: receipts, reservations first come first served, issue.

Each order's bill-of-material line is reserved in full when the order arrives, or waits in
its material's queue until receipts cover it; an operation may start only when every line
issued to it is reserved, and starting it consumes them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(eq=False)
class Line:
    """One order's requirement of one material at one operation."""

    order_id: str
    seq: int
    material_id: str
    quantity: Decimal
    state: str = "short"  # short -> reserved -> consumed


@dataclass
class Stock:
    """Quantities per material; the balance received = free + reserved + consumed holds."""

    received: dict[str, Decimal] = field(default_factory=dict)
    free: dict[str, Decimal] = field(default_factory=dict)
    reserved: dict[str, Decimal] = field(default_factory=dict)
    consumed: dict[str, Decimal] = field(default_factory=dict)
    waiting: dict[str, deque[Line]] = field(default_factory=dict)

    def _ensure(self, material_id: str) -> None:
        for book in (self.received, self.free, self.reserved, self.consumed):
            book.setdefault(material_id, Decimal(0))
        self.waiting.setdefault(material_id, deque())

    def require(self, line: Line) -> bool:
        """Reserve `line` now if the queue is empty and stock covers it; else it waits."""
        self._ensure(line.material_id)
        queue = self.waiting[line.material_id]
        if not queue and self.free[line.material_id] >= line.quantity:
            self._reserve(line)
            return True
        queue.append(line)
        return False

    def receive(self, material_id: str, quantity: Decimal) -> list[Line]:
        """Book a receipt; returns the waiting lines it now covers, in queue order."""
        self._ensure(material_id)
        self.received[material_id] += quantity
        self.free[material_id] += quantity
        queue = self.waiting[material_id]
        covered: list[Line] = []
        # Strictly first come first served: a large head of the queue holds back the rest.
        while queue and self.free[material_id] >= queue[0].quantity:
            line = queue.popleft()
            self._reserve(line)
            covered.append(line)
        return covered

    def _reserve(self, line: Line) -> None:
        self.free[line.material_id] -= line.quantity
        self.reserved[line.material_id] += line.quantity
        line.state = "reserved"

    def consume(self, line: Line) -> None:
        """Issue a reserved line to its operation."""
        if line.state != "reserved":
            raise ValueError(f"{line.order_id}/{line.seq} {line.material_id} is {line.state}")
        self.reserved[line.material_id] -= line.quantity
        self.consumed[line.material_id] += line.quantity
        line.state = "consumed"

    def balanced(self) -> bool:
        """Every material: received = free + reserved + consumed, none negative."""
        return all(
            self.received[m] == self.free[m] + self.reserved[m] + self.consumed[m]
            and min(self.free[m], self.reserved[m], self.consumed[m]) >= 0
            for m in self.received
        )
