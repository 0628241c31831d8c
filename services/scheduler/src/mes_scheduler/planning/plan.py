"""The plan value and the mutable draft the repair functions build the next plan in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from mes_scheduler.planning.calendar import Availability
from mes_scheduler.planning.model import Operation, Order, Plant, WorkCenter, run_minutes


class Slot(NamedTuple):
    """Where and when an operation runs: [start, end) on `work_center`, setup included.

    A NamedTuple rather than a frozen dataclass: re-timing creates one per touched
    operation and tuple construction is several times cheaper.
    """

    work_center: str
    start: int
    end: int


@dataclass(frozen=True)
class Plan:
    """The living plan: open orders, machine sequences and the times derived from them.

    Completed operations (and orders whose last operation completed) leave the plan.
    `revision` increases with every applied event or adopted improvement.
    """

    plant: Plant
    orders: Mapping[str, Order]
    operations: Mapping[str, Operation]
    routing: Mapping[str, tuple[str, ...]]
    sequences: Mapping[str, tuple[str, ...]]
    slots: Mapping[str, Slot]
    started: Mapping[str, int]
    availability: Mapping[str, Availability]
    revision: int = 0
    last_family: Mapping[str, str] = field(default_factory=dict)
    # Run minutes per (operation, center), shared by the revisions of a plan like the
    # Availability caches; entries are checked against per-unit minutes, quantity and
    # efficiency (plain numbers, so the garbage collector stops tracking the entries).
    run_cache: dict[tuple[str, str], tuple[float, int, float, int]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def center(self, wc_id: str) -> WorkCenter:
        """The work center with id `wc_id`."""
        return _center(self.plant, wc_id)

    def is_frozen(self, op_id: str, now: int) -> bool:
        """Started, or planned to start inside the frozen horizon: never moves."""
        if op_id in self.started:
            return True
        return self.slots[op_id].start < now + self.plant.frozen_horizon


def empty_plan(plant: Plant) -> Plan:
    """A plan with no orders on `plant`."""
    ids = sorted(wc.id for wc in plant.work_centers)
    return Plan(
        plant=plant,
        orders={},
        operations={},
        routing={},
        sequences=dict.fromkeys(ids, ()),
        slots={},
        started={},
        availability={wc.id: Availability(wc.calendar) for wc in plant.work_centers},
    )


def _center(plant: Plant, wc_id: str) -> WorkCenter:
    for wc in plant.work_centers:
        if wc.id == wc_id:
            return wc
    raise KeyError(wc_id)


def setup_minutes(plant: Plant, prev_family: str | None, op: Operation) -> int:
    """Setup of `op` after a `prev_family` job (sequence-dependent where configured)."""
    if prev_family is not None and plant.family_setups:
        return plant.family_setups.get((prev_family, op.family), op.setup)
    return op.setup


TRIAL_BUDGET = 150


class Draft:
    """Mutable working copy of a Plan; `fresh` ops are new or moved, hence never frozen."""

    def __init__(self, plan: Plan, now: int) -> None:
        self.plant = plan.plant
        self.now = now
        self.horizon = now + plan.plant.frozen_horizon
        self.base = plan
        self.orders = dict(plan.orders)
        self.operations = dict(plan.operations)
        self.routing = dict(plan.routing)
        self.sequences = {wc: list(seq) for wc, seq in plan.sequences.items()}
        self.slots = dict(plan.slots)
        self.started = dict(plan.started)
        self.availability = dict(plan.availability)
        self.efficiency = {wc.id: wc.efficiency for wc in plan.plant.work_centers}
        self.last_family = dict(plan.last_family)
        self.run_cache = plan.run_cache
        self.fresh: set[str] = set()
        self.detached: set[str] = set()
        self.touched: set[str] = set()
        # Operations whose machine predecessor may have changed, for a cheap diff; None
        # once sequences were rebuilt wholesale (dispatch, local search).
        self.resequenced: set[str] | None = set()
        # Re-timed operations the push trials of this repair may still spend: a
        # deterministic bound on the search (an event moving much work searches less).
        self.trial_budget = TRIAL_BUDGET
        self._centers: tuple[Plant, dict[str, tuple[str, ...]]] = (plan.plant, {})

    def to_plan(self) -> Plan:
        """Freeze into the next Plan revision."""
        return Plan(
            plant=self.plant,
            orders=self.orders,
            operations=self.operations,
            routing=self.routing,
            sequences={wc: tuple(seq) for wc, seq in sorted(self.sequences.items())},
            slots=self.slots,
            started=self.started,
            availability=self.availability,
            revision=self.base.revision + 1,
            last_family=self.last_family,
            run_cache=self.run_cache,
        )

    def centers_of(self, group: str) -> tuple[str, ...]:
        """`Plant.centers_of`, remembered for the draft's plant."""
        plant, known = self._centers
        if plant is not self.plant:
            self._centers = plant, known = self.plant, {}
        centers = known.get(group)
        if centers is None:
            centers = known[group] = plant.centers_of(group)
        return centers

    def is_frozen(self, op_id: str) -> bool:
        if op_id in self.started:
            return True
        before = self.base.slots.get(op_id)
        if op_id in self.fresh or before is None:
            return False
        # Judged on the plan before this repair: an operation the repair pushed past the
        # horizon stays frozen for the rest of the repair.
        return before.start < self.horizon

    def work(self, op_id: str, wc_id: str, prev_id: str | None) -> int:
        """Setup plus run minutes of `op_id` on `wc_id` after `prev_id`."""
        op = self.operations[op_id]
        return self.setup(op, wc_id, prev_id) + self.run(op, wc_id)

    def setup(self, op: Operation, wc_id: str, prev_id: str | None) -> int:
        """Setup minutes of `op` on `wc_id` after `prev_id` (or the center's last family)."""
        if not self.plant.family_setups:
            return op.setup
        if prev_id is not None:
            family: str | None = self.operations[prev_id].family
        else:
            family = self.last_family.get(wc_id)
        return setup_minutes(self.plant, family, op)

    def run(self, op: Operation, wc_id: str) -> int:
        """Run minutes of `op` on `wc_id` for its order's current quantity (cached)."""
        qty = self.orders[op.order_id].quantity
        efficiency = self.efficiency[wc_id]
        cached = self.run_cache.get((op.id, wc_id))
        if (
            cached is not None
            and cached[0] == op.per_unit
            and cached[1] == qty
            and cached[2] == efficiency
        ):
            return cached[3]
        minutes = run_minutes(op, qty, efficiency)
        self.run_cache[(op.id, wc_id)] = (op.per_unit, qty, efficiency, minutes)
        return minutes

    def job_neighbours(self, op_id: str) -> tuple[str | None, str | None]:
        route = self.routing[self.operations[op_id].order_id]
        k = route.index(op_id)
        pred = route[k - 1] if k > 0 else None
        succ = route[k + 1] if k + 1 < len(route) else None
        return pred, succ

    def attached_job_neighbours(self, op_id: str) -> tuple[str | None, str | None]:
        """Nearest routing neighbours still in a sequence (detached ones are skipped)."""
        route = self.routing[self.operations[op_id].order_id]
        k = route.index(op_id)
        attached = [o for o in route if o in self.slots and o not in self.detached]
        before = [o for o in attached if route.index(o) < k]
        after = [o for o in attached if route.index(o) > k]
        return (before[-1] if before else None), (after[0] if after else None)

    def machine_neighbours(self, op_id: str) -> tuple[str | None, str | None]:
        seq = self.sequences[self.slots[op_id].work_center]
        i = seq.index(op_id)
        return (seq[i - 1] if i > 0 else None), (seq[i + 1] if i + 1 < len(seq) else None)

    def remove_from_sequence(self, op_id: str) -> list[str]:
        """Take `op_id` off its center; returns the ops whose predecessor changed."""
        seq = self.sequences[self.slots[op_id].work_center]
        i = seq.index(op_id)
        seq.pop(i)
        self.detached.add(op_id)
        after = [seq[i]] if i < len(seq) else []
        self._resequenced(op_id, *after)
        return after

    def place_in_sequence(self, op_id: str, wc_id: str, position: int) -> None:
        seq = self.sequences[wc_id]
        seq.insert(position, op_id)
        self._resequenced(*seq[position : position + 2])
        # A placeholder that pushes nobody and sorts first in the re-timing heap: the
        # real slot is computed before any successor looks at it.
        self.slots[op_id] = Slot(wc_id, -1, -1)
        self.fresh.add(op_id)
        self.detached.discard(op_id)
        self.touched.add(op_id)

    def _resequenced(self, *ops: str) -> None:
        if self.resequenced is not None:
            self.resequenced.update(ops)

    def movable_ops(self) -> list[str]:
        """Unfrozen operations, sorted by id."""
        return sorted(op for op in self.operations if not self.is_frozen(op))


def replace_center(plant: Plant, center: WorkCenter) -> Plant:
    """`plant` with one work center replaced (same id)."""
    centers = tuple(center if wc.id == center.id else wc for wc in plant.work_centers)
    return replace(plant, work_centers=centers)
