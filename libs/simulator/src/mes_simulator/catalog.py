"""The shop's static data: work center groups, products with routings and bills of material.

Seeded and pure. Products follow the flow of a job shop making machined and welded parts:
saw, then turning or milling, welding, painting, assembly; not every product visits each.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

# (group, number of work centers in it)
DEFAULT_LAYOUT: tuple[tuple[str, int], ...] = (
    ("SAW", 1),
    ("CNC", 2),
    ("LATHE", 1),
    ("WELD", 1),
    ("PAINT", 1),
    ("ASSY", 1),
)
FLOW = ("SAW", "CNC", "LATHE", "WELD", "PAINT", "ASSY")
# group -> (setup minutes range, run minutes per unit range)
_TIMES: dict[str, tuple[tuple[int, int], tuple[float, float]]] = {
    "SAW": ((10, 20), (0.3, 1.0)),
    "CNC": ((30, 60), (1.5, 4.0)),
    "LATHE": ((20, 45), (1.0, 3.0)),
    "WELD": ((15, 30), (1.0, 3.5)),
    "PAINT": ((20, 40), (0.5, 1.5)),
    "ASSY": ((10, 20), (1.0, 2.5)),
}
_OPERATION = {
    "SAW": "cut", "CNC": "mill", "LATHE": "turn",
    "WELD": "weld", "PAINT": "paint", "ASSY": "assemble",
}  # fmt: skip
# Raw material at the first step, paint at PAINT, fastener kits at ASSY.
RAW = ("STEEL-BAR", "AL-SHEET")
PAINT = "PAINT-RAL7035"
KIT = "FASTENER-KIT"
MATERIALS: dict[str, str] = {"STEEL-BAR": "m", "AL-SHEET": "m2", PAINT: "l", KIT: "pc"}


@dataclass(frozen=True, slots=True)
class CenterSpec:
    """One work center: its id, group and speed relative to the standard time."""

    id: str
    group: str
    efficiency: float


@dataclass(frozen=True, slots=True)
class Characteristic:
    """A measured dimension: nominal and two-sided limits, in `unit`."""

    name: str
    nominal: Decimal
    lower: Decimal
    upper: Decimal
    unit: str


@dataclass(frozen=True, slots=True)
class Step:
    """One routing step of a product: operation on a group, standard times, inspection."""

    seq: int
    operation: str
    group: str
    setup: int
    per_unit: float
    inspection: tuple[Characteristic, ...] = ()
    sample_size: int = 0


@dataclass(frozen=True, slots=True)
class BomLine:
    """How much of a material one unit needs, issued at operation `seq`."""

    material_id: str
    per_unit: Decimal
    seq: int


@dataclass(frozen=True, slots=True)
class Product:
    """A product: its family (for reporting), routing and bill of materials."""

    id: str
    family: str
    steps: tuple[Step, ...]
    bom: tuple[BomLine, ...]


def centers(rng: random.Random, layout: tuple[tuple[str, int], ...]) -> tuple[CenterSpec, ...]:
    """The work centers of `layout`, ids like CNC-2, with mixed speeds."""
    return tuple(
        CenterSpec(f"{group}-{i + 1}", group, rng.choice([0.9, 1.0, 1.0, 1.1]))
        for group, count in layout
        for i in range(count)
    )


def products(rng: random.Random, groups: tuple[str, ...], count: int) -> tuple[Product, ...]:
    """`count` products whose routings visit 2..5 of `groups` in flow order."""
    flow = [g for g in FLOW if g in groups] + sorted(set(groups) - set(FLOW))
    return tuple(_product(rng, f"P{k + 1:02d}", flow) for k in range(count))


def _product(rng: random.Random, product_id: str, flow: list[str]) -> Product:
    visits = sorted(rng.sample(range(len(flow)), rng.randint(min(2, len(flow)), min(5, len(flow)))))
    steps = tuple(_step(rng, 10 * (i + 1), flow[k]) for i, k in enumerate(visits))
    raw = rng.choice(RAW)
    bom = [BomLine(raw, Decimal(rng.choice(["0.25", "0.5", "1", "1.5"])), steps[0].seq)]
    bom += [BomLine(PAINT, Decimal("0.1"), s.seq) for s in steps if s.group == "PAINT"]
    bom += [BomLine(KIT, Decimal(1), s.seq) for s in steps if s.group == "ASSY"]
    return Product(product_id, rng.choice("ABC"), steps, tuple(bom))


def _step(rng: random.Random, seq: int, group: str) -> Step:
    (s_lo, s_hi), (r_lo, r_hi) = _TIMES.get(group, ((10, 40), (0.5, 3.0)))
    setup, per_unit = rng.randint(s_lo, s_hi), round(rng.uniform(r_lo, r_hi), 2)
    operation = _OPERATION.get(group, group.lower())
    if group not in ("CNC", "LATHE"):
        return Step(seq, operation, group, setup, per_unit)
    nominal = Decimal(rng.choice(["8.00", "12.00", "20.00", "35.00"]))
    tol = Decimal(rng.choice(["0.02", "0.05"]))
    bore = Characteristic("bore" if group == "CNC" else "diameter", nominal, nominal - tol,
                          nominal + tol, "mm")  # fmt: skip
    return Step(seq, operation, group, setup, per_unit, (bore,), 3)
