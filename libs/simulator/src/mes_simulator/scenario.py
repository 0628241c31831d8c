"""A seeded scenario: the outside world's events, fixed before any policy runs.

Order arrivals, material receipts and breakdowns are drawn up front, and every random
outcome of an operation (duration noise, scrap, inspection result) is drawn from the
operation's own id. So each policy faces exactly the same world; only timing differs.
Times are integer minutes from minute 0 = Monday 00:00.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from mes_scheduler.planning.model import DAY, Calendar, Plant, WorkCenter
from mes_scheduler.planning.scenarios import two_shift_calendar
from mes_simulator.catalog import DEFAULT_LAYOUT, MATERIALS, CenterSpec, Product, centers, products

CUSTOMERS = ("ACME", "GLOBEX", "INITECH", "UMBRELLA", "STARK", "WAYNE")
PRIORITIES = (1, 2, 3, 3, 3, 4, 4, 5)


@dataclass(frozen=True, slots=True)
class ScenarioSettings:
    """Size and randomness of the world; `load` is the bottleneck's expected utilisation."""

    seed: int = 1
    days: float = 3.0
    load: float = 0.9
    layout: tuple[tuple[str, int], ...] = DEFAULT_LAYOUT
    products: int = 10
    shifts: bool = False
    frozen_horizon: int = 30
    duration_noise: float = 0.2
    scrap_rate: float = 0.01
    inspection_fail_rate: float = 0.08
    mtbf_hours: float = 48.0
    mean_repair_minutes: float = 90.0
    supply_ratio: float = 1.1
    initial_stock_share: float = 0.3


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """A production order as the ERP sends it; `weight` = 6 - priority."""

    id: str
    external_ref: str
    customer: str
    product: Product
    quantity: int
    arrival: int
    due: int
    priority: int

    @property
    def weight(self) -> float:
        return float(6 - self.priority)


@dataclass(frozen=True, slots=True)
class Receipt:
    """A lot arriving from a supplier."""

    at: int
    material_id: str
    lot_id: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Breakdown:
    """A center stops at `at` for `actual` minutes; maintenance first expects `expected`."""

    at: int
    center: str
    actual: int
    expected: int


@dataclass(frozen=True)
class Scenario:
    """Everything the outside world will do, in time order per kind."""

    settings: ScenarioSettings
    centers: tuple[CenterSpec, ...]
    products: tuple[Product, ...]
    orders: tuple[OrderSpec, ...]
    receipts: tuple[Receipt, ...]
    breakdowns: tuple[Breakdown, ...]
    calendar: Calendar = field(default_factory=Calendar)

    @property
    def arrivals_end(self) -> int:
        return int(self.settings.days * DAY)

    def plant(self) -> Plant:
        """The planning engine's view of the shop."""
        wcs = tuple(WorkCenter(c.id, c.group, c.efficiency, self.calendar) for c in self.centers)
        return Plant(wcs, frozen_horizon=self.settings.frozen_horizon)

    def next_receipt(self, material_id: str, after: int) -> int | None:
        """Time of the next receipt of `material_id` strictly after `after` (open POs)."""
        times = [r.at for r in self.receipts if r.material_id == material_id and r.at > after]
        return min(times) if times else None


def generate(settings: ScenarioSettings) -> Scenario:
    """The scenario of `settings.seed`: same seed, same world."""
    rng = random.Random(settings.seed)
    cs = centers(rng, settings.layout)
    ps = products(rng, tuple(g for g, _ in settings.layout), settings.products)
    calendar = two_shift_calendar() if settings.shifts else Calendar()
    orders = _orders(rng, settings, cs, ps, calendar)
    receipts = _receipts(rng, settings, orders)
    breakdowns = _breakdowns(rng, settings, cs)
    return Scenario(settings, cs, ps, orders, receipts, breakdowns, calendar)


def standard_minutes(product: Product, quantity: int) -> float:
    """Setup plus run minutes of all steps at standard speed."""
    return sum(s.setup + s.per_unit * quantity for s in product.steps)


def _quantity(rng: random.Random) -> int:
    return max(1, min(200, round(rng.lognormvariate(math.log(20), 0.6))))


def _orders(
    rng: random.Random,
    settings: ScenarioSettings,
    cs: tuple[CenterSpec, ...],
    ps: tuple[Product, ...],
    calendar: Calendar,
) -> tuple[OrderSpec, ...]:
    rate = _arrival_rate(settings, cs, ps, calendar)
    orders: list[OrderSpec] = []
    t = rng.expovariate(rate)
    while t < settings.days * DAY:
        n = len(orders) + 1
        product = rng.choice(ps)
        qty = _quantity(rng)
        work = standard_minutes(product, qty)
        allowance = work * rng.uniform(1.5, 3.5) + rng.uniform(60, 720)
        due = math.ceil((t + allowance) / 60) * 60
        orders.append(OrderSpec(f"SO{n:05d}", f"ERP-{settings.seed}-{n:05d}",
                                rng.choice(CUSTOMERS), product, qty, int(t), due,
                                rng.choice(PRIORITIES)))  # fmt: skip
        t += rng.expovariate(rate)
    return tuple(orders)


def _arrival_rate(
    settings: ScenarioSettings,
    cs: tuple[CenterSpec, ...],
    ps: tuple[Product, ...],
    calendar: Calendar,
) -> float:
    """Orders per minute that load the bottleneck group to `settings.load`."""
    mean_qty = 20 * math.exp(0.6**2 / 2)
    open_share = 1.0 if calendar.always_open else _open_share(calendar)
    rates = []
    for group, _ in settings.layout:
        capacity = sum(c.efficiency for c in cs if c.group == group) * open_share
        work = sum(s.setup + s.per_unit * mean_qty for p in ps for s in p.steps if s.group == group)
        if work > 0:
            rates.append(capacity / (work / len(ps)))
    return settings.load * min(rates)


def _open_share(calendar: Calendar) -> float:
    week = 7 * DAY
    return sum(w.end - w.start for w in calendar.weekly) / week


def _receipts(
    rng: random.Random, settings: ScenarioSettings, orders: Iterable[OrderSpec]
) -> tuple[Receipt, ...]:
    """Initial stock at minute 0, then lots at random times; supply = demand x ratio."""
    demand = dict.fromkeys(MATERIALS, Decimal(0))
    for o in orders:
        for line in o.product.bom:
            demand[line.material_id] += line.per_unit * o.quantity
    receipts: list[Receipt] = []
    for material, need in sorted(demand.items()):
        supply = need * Decimal(str(settings.supply_ratio))
        lots = max(1, math.ceil(settings.days * 2))
        sizes = [rng.uniform(0.5, 1.5) for _ in range(lots)]
        rest = 1 - settings.initial_stock_share
        shares = [settings.initial_stock_share] + [rest * x / sum(sizes) for x in sizes]
        times = [0] + sorted(rng.randrange(1, int(settings.days * DAY)) for _ in range(lots))
        for k, (at, share) in enumerate(zip(times, shares, strict=True)):
            qty = Decimal(math.ceil(supply * Decimal(str(share)))) or Decimal(1)
            receipts.append(Receipt(at, material, f"{material}-L{k + 1:03d}", qty))
    return tuple(sorted(receipts, key=lambda r: (r.at, r.lot_id)))


def _breakdowns(
    rng: random.Random, settings: ScenarioSettings, cs: tuple[CenterSpec, ...]
) -> tuple[Breakdown, ...]:
    """Per center a renewal process (exponential up time, lognormal repair), 4x the days."""
    out: list[Breakdown] = []
    sigma = 0.6
    mu = math.log(settings.mean_repair_minutes) - sigma**2 / 2
    for c in cs:
        t = rng.expovariate(1 / (settings.mtbf_hours * 60))
        while t < 4 * settings.days * DAY:
            actual = max(10, round(rng.lognormvariate(mu, sigma)))
            expected = max(5, round(actual * rng.uniform(0.6, 1.5)))
            out.append(Breakdown(int(t), c.id, actual, expected))
            t += actual + rng.expovariate(1 / (settings.mtbf_hours * 60))
    return tuple(sorted(out, key=lambda b: (b.at, b.center)))
